"""Admin: the configuration of change management (CABs, standard change templates, freeze and
maintenance windows) is edited here; changes and their approvals are read-only (they move only
through the workflow). Nothing is deleted: switch rows off instead."""

from django.contrib import admin

from .models import (
    CAB,
    Change,
    ChangeTemplate,
    CustomerApproval,
    FreezeWindow,
    LegacyCABVote,
    LegacyCustomerApproval,
    MaintenanceWindow,
)


class NoDelete(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(CAB)
class CABAdmin(NoDelete):
    list_display = ("name", "rule", "quorum", "is_emergency", "is_active")
    list_filter = ("is_emergency", "is_active")
    filter_horizontal = ("members",)


@admin.register(ChangeTemplate)
class ChangeTemplateAdmin(NoDelete):
    list_display = ("name", "organization", "risk", "customer_preapproved", "is_active")
    list_filter = ("risk", "customer_preapproved", "is_active")
    search_fields = ("name",)


@admin.register(FreezeWindow)
class FreezeWindowAdmin(NoDelete):
    list_display = ("name", "start", "end", "organization", "blocking", "is_active")
    list_filter = ("blocking", "is_active")
    date_hierarchy = "start"


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(NoDelete):
    list_display = ("organization", "name", "kind", "weekday", "start_time", "end_time", "start", "end", "blocking",
                    "is_active")
    list_filter = ("kind", "blocking", "is_active")


class ReadOnly(NoDelete):
    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Change)
class ChangeAdmin(ReadOnly):
    """Read-only: status and approvals change only through the services."""

    list_display = ("number", "title", "type", "status", "risk", "organization", "planned_start")
    list_filter = ("status", "type", "risk")
    search_fields = ("number", "title")
    list_select_related = ("organization",)
    show_full_result_count = False


@admin.register(CustomerApproval)
class CustomerApprovalAdmin(ReadOnly):
    """The change's `customer` approval steps (read-only; the answers are on the change page and in the API)."""

    list_display = ("ticket_id", "state", "round", "created_at", "due_at", "decided_at", "reminded_at",
                    "escalated_at")
    list_filter = ("state",)
    exclude = ("approve_action", "reject_action")


@admin.register(LegacyCABVote)
class LegacyCABVoteAdmin(ReadOnly):
    """Votes as stored before they moved onto the approval step (read-only record)."""

    list_display = ("change", "round", "member", "decision", "created_at")
    list_select_related = ("change", "member")


@admin.register(LegacyCustomerApproval)
class LegacyCustomerApprovalAdmin(ReadOnly):
    """Customer approvals as stored before they moved onto the approval step (read-only record)."""

    list_display = ("change", "state", "email", "created_at", "emailed_at", "decided_at", "decided_by_name",
                    "decided_via", "migrated_to")
    list_filter = ("state", "decided_via")
    list_select_related = ("change",)
    exclude = ("nonce",)
