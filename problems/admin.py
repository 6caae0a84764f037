from django.contrib import admin

from .models import Problem, RepeatRule


@admin.register(Problem)
class ProblemAdmin(admin.ModelAdmin):
    """Read only: problems change through the services (status, links, history)."""

    list_display = ("number", "title", "status", "known_error", "organization", "ci", "reported_at")
    list_filter = ("status", "known_error", "priority")
    search_fields = ("number", "title")
    list_select_related = ("organization", "ci")
    exclude = ("search_vector",)
    show_full_result_count = False

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(RepeatRule)
class RepeatRuleAdmin(admin.ModelAdmin):
    """Repeat-fault thresholds behind the problem candidates. Switch a rule off instead of deleting it;
    with no active rule the default applies (3 incidents on one CI in 30 days)."""

    list_display = ("name", "scope", "min_incidents", "window_days", "is_active")
    list_editable = ("min_incidents", "window_days", "is_active")
    list_filter = ("scope", "is_active")

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
