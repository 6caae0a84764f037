from django.urls import path

from . import views, views_kpi, views_training

app_name = "team"
urlpatterns = [
    path("leave/", views.leave_list_view, name="leave_list"),
    path("leave/new/", views.leave_new, name="leave_new"),
    path("leave/<int:pk>/decide/", views.leave_decide, name="leave_decide"),
    *views.LEAVE_PAGES.urlpatterns(prefix="leave/<int:pk>/"),
    path("kpi/", views_kpi.scorecard_month, name="kpi"),
    path("kpi/propose/", views_kpi.scorecard_propose_view, name="kpi_propose"),
    path("kpi/publish/", views_kpi.scorecard_publish_view, name="kpi_publish"),
    path("kpi/export.<str:fmt>", views_kpi.scorecard_export, name="kpi_export"),
    path("kpi/mine/", views_kpi.my_scorecards, name="kpi_mine"),
    path("kpi/<int:pk>/", views_kpi.scorecard_detail, name="scorecard"),
    path("kpi/<int:pk>/adjust/", views_kpi.scorecard_adjust_view, name="scorecard_adjust"),
    path("oncall/", views_kpi.oncall_hours, name="oncall"),
    path("training/", views_training.training_list, name="training"),
    path("training/new/", views_training.training_new, name="training_new"),
    path("training/<int:pk>/", views_training.training_detail, name="training_detail"),
    path("training/<int:pk>/attendance/", views_training.training_attendance, name="training_attendance"),
]
