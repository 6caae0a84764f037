"""Configuration and read-mostly views. Stock and movements are read-only here: they change only
through the movement services (the store's pages and API)."""

from django.contrib import admin

from .models import ApprovalRule, Movement, Replacement, SparePart, Stock, Storeroom, WarrantyReturn


@admin.register(Storeroom)
class StoreroomAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "organization", "location", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "code", "location")


@admin.register(SparePart)
class SparePartAdmin(admin.ModelAdmin):
    list_display = ("part_number", "name", "vendor", "model", "ci_class", "reorder_level", "approval_required",
                    "is_active")
    list_filter = ("is_active", "approval_required", "ci_class")
    search_fields = ("part_number", "name", "vendor", "model")
    readonly_fields = ("created_at", "version")

    def get_changeform_initial_data(self, request):  # type: ignore[no-untyped-def]
        from django.utils import timezone

        return {**super().get_changeform_initial_data(request), "created_at": timezone.now()}


@admin.register(ApprovalRule)
class ApprovalRuleAdmin(admin.ModelAdmin):
    list_display = ("kind", "part", "min_quantity", "is_active")
    list_filter = ("kind", "is_active")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Stock)
class StockAdmin(ReadOnlyAdmin):
    list_display = ("part", "storeroom", "quantity", "updated_at")
    list_filter = ("storeroom",)
    search_fields = ("part__part_number", "part__name")


@admin.register(Movement)
class MovementAdmin(ReadOnlyAdmin):
    list_display = ("requested_at", "part", "kind", "quantity", "from_storeroom", "to_storeroom", "status",
                    "requested_by", "decided_by")
    list_filter = ("kind", "status")
    search_fields = ("part__part_number", "reference")


@admin.register(Replacement)
class ReplacementAdmin(ReadOnlyAdmin):
    list_display = ("ci", "month", "faults", "decision", "replaced_by", "replaced_on", "decided_by")
    list_filter = ("decision",)


@admin.register(WarrantyReturn)
class WarrantyReturnAdmin(ReadOnlyAdmin):
    list_display = ("ci", "vendor", "vendor_ref", "status", "sent_on", "received_on", "closed_on")
    list_filter = ("status",)
    search_fields = ("vendor", "vendor_ref", "ci__name")
