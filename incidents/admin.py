from django.contrib import admin

from .models import Incident, ObservationItem


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    """Read-mostly: status, SLA and history change only through the services."""

    list_display = ("number", "title", "fault_level", "status", "organization", "assignee", "reported_at")
    list_filter = ("status", "fault_level", "channel")
    search_fields = ("number", "title")
    list_select_related = ("organization", "assignee")
    show_full_result_count = False

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(ObservationItem)
class ObservationItemAdmin(admin.ModelAdmin):
    """The observation checklist: switch items off instead of deleting them (checks point at them)."""

    list_display = ("text", "position", "is_active")
    list_editable = ("position", "is_active")
    list_filter = ("is_active",)

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
