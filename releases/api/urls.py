"""Routes of the releases API, mounted under /api/v1/ by opsdesk/api_urls.py:
    path("", include("releases.api.urls"))"""

from rest_framework.routers import SimpleRouter

from .views import ReleaseViewSet

router = SimpleRouter()
router.register("releases", ReleaseViewSet, basename="release")

urlpatterns = [*router.urls]
