"""Routes of the assurance API, mounted under /api/v1/ by opsdesk/api_urls.py."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import BackupJobViewSet, DrillViewSet, PlanViewSet, RestoreTestViewSet, RunReportView

router = SimpleRouter()
router.register("assurance/emergency-plans", PlanViewSet, basename="assurance-plan")
router.register("assurance/drills", DrillViewSet, basename="assurance-drill")
router.register("assurance/backup-jobs", BackupJobViewSet, basename="assurance-backup-job")
router.register("assurance/restore-tests", RestoreTestViewSet, basename="assurance-restore-test")

urlpatterns = [
    path("assurance/backup-runs/report/", RunReportView.as_view(), name="assurance-backup-run-report"),
    *router.urls,
]
