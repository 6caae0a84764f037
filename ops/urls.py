from django.urls import path

from . import views

app_name = "ops"

urlpatterns = [
    path("failed-tasks/", views.failed_tasks_view, name="failed_tasks"),
    path("failed-tasks/<int:pk>/", views.failed_task_detail_view, name="failed_task_detail"),
    path("failed-tasks/<int:pk>/retry/", views.failed_task_retry_view, name="failed_task_retry"),
]
