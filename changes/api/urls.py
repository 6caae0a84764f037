"""Routes of the changes API, mounted under /api/v1/ by opsdesk/api_urls.py:
    path("", include("changes.api.urls"))"""

from rest_framework.routers import SimpleRouter

from .views import CABViewSet, ChangeTemplateViewSet, ChangeViewSet, FreezeWindowViewSet

router = SimpleRouter()
router.register("changes", ChangeViewSet, basename="change")
router.register("cabs", CABViewSet, basename="cab")
router.register("change-templates", ChangeTemplateViewSet, basename="change-template")
router.register("freeze-windows", FreezeWindowViewSet, basename="freeze-window")

urlpatterns = [*router.urls]
