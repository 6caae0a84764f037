from django.contrib import admin

from .models import CallRecord, ServiceRequest, TicketEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(ServiceRequest)
class ServiceRequestAdmin(ReadOnlyAdmin):
    list_display = ("number", "title", "request_type", "status", "organization", "reported_at")
    list_filter = ("request_type", "status")
    search_fields = ("number", "title")
    show_full_result_count = False


@admin.register(TicketEvent)
class TicketEventAdmin(ReadOnlyAdmin):
    list_display = ("ticket_kind", "ticket_id", "seq", "action", "actor", "created_at")
    list_filter = ("ticket_kind", "action")
    show_full_result_count = False


@admin.register(CallRecord)
class CallRecordAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "caller_phone", "outcome", "organization", "operator")
    list_filter = ("outcome",)
