from django.urls import path

from . import sla_views, views

app_name = "incidents"
urlpatterns = [
    path("hotline/", views.hotline, name="hotline"),
    path("hotline/caller/", views.hotline_caller, name="hotline_caller"),
    path("hotline/duplicates/", views.hotline_duplicates, name="hotline_duplicates"),
    path("hotline/link/<int:pk>/", views.hotline_link, name="hotline_link"),
    path("hotline/missed/", views.hotline_missed, name="hotline_missed"),
    path("queue/", views.queue, name="queue"),
    path("my-work/", views.my_work, name="my_work"),
    path("incidents/", views.incident_list_view, name="list"),
    path("incidents/bulk/", views.incident_bulk, name="bulk"),
    path("incidents/<int:pk>/edit/", views.incident_edit, name="edit"),
    path("incidents/<int:pk>/print/", views.incident_print, name="print"),
    *views.INCIDENT_PAGES.urlpatterns("incidents/<int:pk>/"),
    path("incidents/<int:pk>/observation/<int:item_id>/", views.observation_check, name="observation_check"),
    path("incidents/<int:pk>/progress/", sla_views.progress_add, name="progress_add"),
    path("incidents/<int:pk>/fault-report/", sla_views.fault_report_post, name="fault_report"),
    path("incidents/<int:pk>/loans/", sla_views.loan_add, name="loan_add"),
    path("loans/<int:pk>/return/", sla_views.loan_return, name="loan_return"),
    path("sla/fault-reports/overdue/", sla_views.reports_overdue, name="reports_overdue"),
    path("sla/major-incidents/", sla_views.major_incidents, name="major"),
    path("sla/replacements/", sla_views.replacements, name="replacements"),
    path("sla/loans/", sla_views.loans_open, name="loans_open"),
]
