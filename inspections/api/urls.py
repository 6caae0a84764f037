"""Mounted under /api/v1/ by opsdesk/api_urls.py (namespace inspections-api)."""

from django.urls import path

from .views import AnswerCreateView, RoundDetailView, RoundListView, StatsView

app_name = "inspections-api"

urlpatterns = [
    path("inspections/rounds/", RoundListView.as_view(), name="rounds"),
    path("inspections/rounds/<int:pk>/", RoundDetailView.as_view(), name="round"),
    path("inspections/rounds/<int:pk>/answers/", AnswerCreateView.as_view(), name="answers"),
    path("inspections/stats/", StatsView.as_view(), name="stats"),
]
