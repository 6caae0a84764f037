from django.urls import path

from . import views

app_name = "mailin"

urlpatterns = [
    path("triage/", views.triage_list_view, name="triage"),
    path("triage/<int:pk>/", views.triage_detail, name="triage_detail"),
    path("triage/<int:pk>/open/", views.triage_open, name="triage_open"),
    path("triage/<int:pk>/discard/", views.triage_discard_view, name="triage_discard"),
]
