from django.urls import path

from . import views

app_name = "monitoring"

urlpatterns = [
    path("panels/incident/<int:pk>/", views.incident_panel, name="incident_panel"),
]
