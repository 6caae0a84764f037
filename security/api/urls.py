"""Mounted under /api/v1/ by opsdesk/api_urls.py."""

from rest_framework.routers import SimpleRouter

from .views import AntivirusViewSet, FindingViewSet, ScanImportViewSet

router = SimpleRouter()
router.include_format_suffixes = False
router.register("security/findings", FindingViewSet, basename="security-finding")
router.register("security/antivirus", AntivirusViewSet, basename="security-antivirus")
router.register("security/imports", ScanImportViewSet, basename="security-import")

urlpatterns = [*router.urls]
