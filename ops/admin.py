from django.contrib import admin

from opsdesk.forms import JSON_FORMFIELD_OVERRIDES

from .models import FailedTask, TaskHeartbeat


@admin.register(FailedTask)
class FailedTaskAdmin(admin.ModelAdmin):
    """Read only: written by the task_failure signal; retried from /ops/failed-tasks/."""
    formfield_overrides = JSON_FORMFIELD_OVERRIDES
    list_display = ("task_name", "failed_at", "exception", "hostname", "retried_at")
    list_filter = ("task_name",)
    exclude = ("call",)
    readonly_fields = ("task_name", "task_id", "args_summary", "exception", "traceback", "failed_at", "hostname",
                       "retried_at", "retried_by")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(TaskHeartbeat)
class TaskHeartbeatAdmin(admin.ModelAdmin):
    list_display = ("task_name", "last_started_at", "last_finished_at", "last_duration", "runs")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
