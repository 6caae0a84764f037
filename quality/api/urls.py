"""Routes of the quality API, mounted under /api/v1/ by opsdesk/api_urls.py:
    path("", include("quality.api.urls"))"""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import CallbackViewSet, FiguresView, RatingViewSet, SurveyStatsView

router = SimpleRouter()
router.register("quality/ratings", RatingViewSet, basename="quality-rating")
router.register("quality/callbacks", CallbackViewSet, basename="quality-callback")

urlpatterns = [
    path("quality/figures/", FiguresView.as_view(), name="quality-figures"),
    path("quality/questionnaires/stats/", SurveyStatsView.as_view(), name="quality-survey-stats"),
    *router.urls,
]
