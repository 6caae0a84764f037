"""Signed one-click links sent by email (no login): mounted at /r/ by opsdesk/urls.py."""

from django.urls import path

from . import views, views_approvals, views_changes

app_name = "links"
urlpatterns = [
    path("rate/<str:token>/", views.link_rate, name="rate"),
    path("survey/<str:token>/", views.link_survey, name="survey"),
    path("change/<str:token>/", views_changes.link_change_approval, name="change-approval"),
    path("approval/<str:token>/", views_approvals.link_approval, name="approval"),
]
