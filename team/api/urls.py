"""Mounted under /api/v1/ by opsdesk/api_urls.py."""

from rest_framework.routers import SimpleRouter

from .views import LeaveViewSet, ScorecardViewSet

router = SimpleRouter()
router.register("leave", LeaveViewSet, basename="leave")
router.register("kpi/scorecards", ScorecardViewSet, basename="scorecard")

urlpatterns = [*router.urls]
