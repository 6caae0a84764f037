"""Routes of the reports API, mounted under /api/v1/ by opsdesk/api_urls.py:
    path("", include("reports.api.urls"))"""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import ReportKindListView, ReportRunViewSet

router = SimpleRouter()
router.register("reports", ReportRunViewSet, basename="report-run")

urlpatterns = [
    # Before the router: `reports/kinds/` would otherwise read as the detail of a run called "kinds".
    path("reports/kinds/", ReportKindListView.as_view(), name="report-kinds"),
    *router.urls,
]
