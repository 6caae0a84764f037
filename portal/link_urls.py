"""Signed one-click links sent by email (no login): mounted at /r/ by opsdesk/urls.py."""

from django.urls import path

from . import views

app_name = "links"
urlpatterns = [
    path("rate/<str:token>/", views.link_rate, name="rate"),
    path("survey/<str:token>/", views.link_survey, name="survey"),
]
