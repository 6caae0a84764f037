"""URLs of the fault-analysis report editor, included by reports/urls.py (namespace "reports")."""

from django.urls import path

from . import views_analysis

urlpatterns = [
    path("incident/<int:incident_pk>/", views_analysis.analysis_editor, name="analysis_editor"),
    path("incident/<int:incident_pk>/preview.pdf", views_analysis.analysis_preview, name="analysis_preview"),
    path("incident/<int:incident_pk>/panel/", views_analysis.analysis_panel, name="analysis_panel"),
    path("version/<int:analysis_version_pk>/pdf/", views_analysis.analysis_version_pdf, name="analysis_version_pdf"),
]
