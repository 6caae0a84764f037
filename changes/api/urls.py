"""Routes of the changes API, mounted under /api/v1/ by opsdesk/api_urls.py:
    path("", include("changes.api.urls"))"""

from rest_framework.routers import SimpleRouter

router = SimpleRouter()

urlpatterns = [*router.urls]
