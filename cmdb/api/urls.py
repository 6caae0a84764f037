"""Routes of the CMDB API besides `cis/` (registered by opsdesk/api_urls.py), mounted under /api/v1/:
    path("", include("cmdb.api.urls"))"""

from rest_framework.routers import SimpleRouter

from .views import CIClassViewSet, CIRelationViewSet, MaintenanceContractViewSet

router = SimpleRouter()
router.include_format_suffixes = False
router.register("ci-relations", CIRelationViewSet, basename="ci-relation")
router.register("ci-classes", CIClassViewSet, basename="ci-class")
router.register("maintenance-contracts", MaintenanceContractViewSet, basename="maintenance-contract")

urlpatterns = [*router.urls]
