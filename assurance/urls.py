from django.urls import path

from . import views

app_name = "assurance"

urlpatterns = [
    path("", views.overview_view, name="overview"),
    path("emergency-plans/", views.plan_list_view, name="plans"),
    path("emergency-plans/new/", views.plan_create_view, name="plan_create"),
    path("emergency-plans/<int:pk>/", views.plan_detail_view, name="plan_detail"),
    path("emergency-plans/<int:pk>/edit/", views.plan_edit_view, name="plan_edit"),
    path("emergency-plans/<int:pk>/review/", views.plan_review_view, name="plan_review"),
    path("emergency-plans/<int:pk>/drills/new/", views.drill_create_view, name="drill_create"),
    path("drills/", views.drill_list_view, name="drills"),
    path("drills/<int:pk>/", views.drill_detail_view, name="drill_detail"),
    path("drills/<int:pk>/record/", views.drill_record_view, name="drill_record"),
    path("drills/<int:pk>/cancel/", views.drill_cancel_view, name="drill_cancel"),
    path("drills/<int:pk>/findings/", views.finding_add_view, name="finding_add"),
    path("drills/<int:pk>/findings/<int:finding_id>/problem/", views.finding_problem_view, name="finding_problem"),
    path("backups/", views.job_list_view, name="jobs"),
    path("backups/new/", views.job_create_view, name="job_create"),
    path("backups/<int:pk>/", views.job_detail_view, name="job_detail"),
    path("backups/<int:pk>/edit/", views.job_edit_view, name="job_edit"),
    path("backups/<int:pk>/token/", views.job_token_view, name="job_token"),
    path("backups/<int:pk>/runs/", views.run_create_view, name="run_create"),
    path("backups/<int:pk>/restore-tests/", views.restore_schedule_view, name="restore_schedule"),
    path("restore-tests/<int:pk>/record/", views.restore_record_view, name="restore_record"),
    path("ci/<int:pk>/panel/", views.ci_panel, name="ci_panel"),
]
