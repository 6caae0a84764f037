"""Routes of the documents API, mounted under /api/v1/ by opsdesk/api_urls.py:
    path("", include("documents.api.urls"))"""

from rest_framework.routers import SimpleRouter

from .views import DocumentViewSet

router = SimpleRouter()
router.register("documents", DocumentViewSet, basename="document")

urlpatterns = [*router.urls]
