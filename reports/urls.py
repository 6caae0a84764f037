from django.urls import include, path

from . import views

app_name = "reports"

urlpatterns: list = [
    path("", views.report_list, name="list"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("<int:pk>/", views.report_detail, name="detail"),
    path("<int:pk>/progress/", views.report_progress, name="progress"),
    path("<int:pk>/pdf/", views.report_download, {"fmt": "pdf"}, name="pdf"),
    path("<int:pk>/xlsx/", views.report_download, {"fmt": "xlsx"}, name="xlsx"),
    path("<int:pk>/publish/", views.report_publish_view, name="publish"),
    path("schedules/", views.schedule_list_view, name="schedules"),
    path("schedules/new/", views.schedule_edit, name="schedule_new"),
    path("schedules/<int:pk>/", views.schedule_edit, name="schedule_edit"),
    path("export/incidents.xlsx", views.export_incidents, name="export_incidents"),
    path("analysis/", include("reports.urls_analysis")),
]
