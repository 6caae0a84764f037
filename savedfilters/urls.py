"""Mounted by opsdesk/urls.py: path("saved-filters/", include("savedfilters.urls"))."""

from django.urls import path

from . import views

app_name = "savedfilters"
urlpatterns = [
    path("", views.save, name="save"),
    path("<int:pk>/remove/", views.remove, name="remove"),
]
