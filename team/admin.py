from django.contrib import admin

from opsdesk.forms import JSON_FORMFIELD_OVERRIDES

from .models import KpiConfig, LeaveRequest, Scorecard, TrainingSession


@admin.register(KpiConfig)
class KpiConfigAdmin(admin.ModelAdmin):
    """The assessment's rules: weights (%), the 1–6 scale, thresholds per dimension (ascending cut
    points), hours counted per ticket, days to handle a problem, the score without data."""
    formfield_overrides = JSON_FORMFIELD_OVERRIDES  # deeply nested JSON is a field error, not a 500

    list_display = ("name", "weights", "scale_min", "scale_max", "no_data_score", "is_active")

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(LeaveRequest)
class LeaveRequestAdmin(admin.ModelAdmin):
    """Read only: leave changes through its workflow and the approval step."""
    formfield_overrides = JSON_FORMFIELD_OVERRIDES  # deeply nested JSON is a field error, not a 500

    list_display = ("number", "engineer", "starts_at", "ends_at", "status", "organization")
    list_filter = ("status", "leave_type")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Scorecard)
class ScorecardAdmin(admin.ModelAdmin):
    """Read only: scorecards are proposed, adjusted and published on the KPI pages."""
    formfield_overrides = JSON_FORMFIELD_OVERRIDES  # deeply nested JSON is a field error, not a 500

    list_display = ("user", "month", "total", "status")
    list_filter = ("status", "month")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(TrainingSession)
class TrainingSessionAdmin(admin.ModelAdmin):
    formfield_overrides = JSON_FORMFIELD_OVERRIDES  # deeply nested JSON is a field error, not a 500
    list_display = ("title", "audience", "organization", "starts_at", "is_active")
    list_filter = ("audience", "is_active")

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
