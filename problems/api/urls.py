"""Routes of the problems API, mounted under /api/v1/ by opsdesk/api_urls.py:
    path("", include("problems.api.urls"))"""

from rest_framework.routers import SimpleRouter

from .views import KnownErrorViewSet, ProblemViewSet

router = SimpleRouter()
router.register("problems", ProblemViewSet, basename="problem")
router.register("known-errors", KnownErrorViewSet, basename="known-error")

urlpatterns = [*router.urls]
