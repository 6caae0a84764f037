"""Routes of the spares API, mounted under /api/v1/ by opsdesk/api_urls.py:
    path("", include("spares.api.urls"))"""

from rest_framework.routers import SimpleRouter

from .views import (
    MovementViewSet,
    ReplacementViewSet,
    SparePartViewSet,
    StockViewSet,
    StoreLoanViewSet,
    StoreroomViewSet,
)

router = SimpleRouter()
router.register("spare-parts", SparePartViewSet, basename="spare-part")
router.register("spare-movements", MovementViewSet, basename="spare-movement")
router.register("storerooms", StoreroomViewSet, basename="storeroom")
router.register("stock", StockViewSet, basename="stock")
router.register("spare-loans", StoreLoanViewSet, basename="spare-loan")
router.register("replacements", ReplacementViewSet, basename="replacement")

urlpatterns = [*router.urls]
