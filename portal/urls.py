from django.urls import path

from . import views, views_audit, views_changes, views_documents, views_leave, views_reports

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("report/", views.report_fault, name="report_fault"),
    path("requests/new/", views.request_new, name="request_new"),
    path("incidents/<int:pk>/", views.incident_detail, name="incident"),
    path("incidents/<int:pk>/action/", views.incident_action, name="incident_action"),
    path("incidents/<int:pk>/add/<str:what>/", views.incident_add, name="incident_add"),
    path("incidents/<int:pk>/attachments/<int:attachment_id>/", views.incident_attachment,
         name="incident_attachment"),
    path("requests/<int:pk>/", views.request_detail, name="request"),
    path("requests/<int:pk>/action/", views.request_action, name="request_action"),
    path("requests/<int:pk>/add/<str:what>/", views.request_add, name="request_add"),
    path("requests/<int:pk>/attachments/<int:attachment_id>/", views.request_attachment,
         name="request_attachment"),
    path("rate/<str:kind>/<int:pk>/", views.rate, name="rate"),
    path("questionnaires/", views.surveys, name="surveys"),
    path("questionnaires/<int:pk>/", views.survey_answer, name="survey"),
    path("changes/", views_changes.change_approvals_view, name="changes"),
    path("changes/<int:pk>/", views_changes.change_detail, name="change"),
    path("changes/<int:pk>/decide/", views_changes.change_decide, name="change_decide"),
    path("leave/", views_leave.leave_list, name="leave_list"),
    path("leave/<int:pk>/", views_leave.leave_detail, name="leave"),
    path("leave/<int:pk>/decide/", views_leave.leave_decide, name="leave_decide"),
    path("documents/", views_documents.documents, name="documents"),
    path("documents/<int:pk>/", views_documents.document, name="document"),
    path("documents/<int:pk>/versions/<int:version_number>/file/", views_documents.document_file,
         name="document_file"),
    path("reports/", views_reports.reports, name="reports"),
    path("history/", views_audit.audit_anchors, name="audit_anchors"),
    path("history/<int:pk>/", views_audit.audit_anchor, name="audit_anchor"),
    path("reports/<int:pk>/pdf/", views_reports.report_file, {"fmt": "pdf"}, name="report_pdf"),
    path("reports/<int:pk>/xlsx/", views_reports.report_file, {"fmt": "xlsx"}, name="report_xlsx"),
]
