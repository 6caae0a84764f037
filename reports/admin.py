from django.contrib import admin

from opsdesk.forms import JSON_FORMFIELD_OVERRIDES

from .models import ReportEmail, ReportEmailAttempt, ReportRun, ReportSchedule


class ReadOnlyAdmin(admin.ModelAdmin):
    """Generated reports and their e-mails are an archive: read-only, never deleted."""

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(ReportRun)
class ReportRunAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "organization", "period", "language", "status", "progress", "published",
                    "created_at", "finished_at")
    list_filter = ("status", "kind", "published", "language")
    list_select_related = ("organization",)
    search_fields = ("period", "sha256")
    show_full_result_count = False


class AttemptInline(admin.TabularInline):
    model = ReportEmailAttempt
    extra = 0
    can_delete = False
    readonly_fields = ("at", "ok", "recipients", "attachments", "error")

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(ReportEmail)
class ReportEmailAdmin(ReadOnlyAdmin):
    list_display = ("schedule", "period", "status", "attempts", "sent_at")
    list_filter = ("status",)
    inlines = [AttemptInline]


@admin.register(ReportSchedule)
class ReportScheduleAdmin(admin.ModelAdmin):
    """Schedules are edited on the Reports → Schedules page (validated there); switch them off
    instead of deleting them (their runs point at them)."""

    list_display = ("name", "organization", "language", "publish", "is_active")
    formfield_overrides = JSON_FORMFIELD_OVERRIDES  # deeply nested JSON is a field error, not a 500
    list_filter = ("is_active", "publish", "language")
    readonly_fields = ("created_by", "created_at")

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
