"""Routes of the releases API, mounted under /api/v1/ by opsdesk/api_urls.py:
    path("", include("releases.api.urls"))"""

from rest_framework.routers import SimpleRouter

router = SimpleRouter()

urlpatterns = [*router.urls]
