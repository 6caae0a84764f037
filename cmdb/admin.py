"""CMDB admin: CI classes (with their attribute definitions) and maintenance contracts are
configuration edited here; CIs, relationships and history are read-only (they change through the
services, which write the history: the CMDB pages, the API or the import)."""

from django.contrib import admin

from opsdesk.forms import JSON_FORMFIELD_OVERRIDES

from .models import CI, CIChange, CIClass, CIRelation, DeviceModel, MaintenanceContract


class NoDelete(admin.ModelAdmin):  # type: ignore[type-arg]
    formfield_overrides = JSON_FORMFIELD_OVERRIDES  # deeply nested JSON is a field error, not a 500

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class ReadOnly(NoDelete):
    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(CIClass)
class CIClassAdmin(NoDelete):
    list_display = ("name", "code", "is_service", "design_life_years")
    search_fields = ("name", "code")


@admin.register(MaintenanceContract)
class MaintenanceContractAdmin(NoDelete):
    list_display = ("number", "vendor", "organization", "starts_on", "ends_on")
    list_filter = ("organization",)
    search_fields = ("number", "vendor")


@admin.register(DeviceModel)
class DeviceModelAdmin(NoDelete):
    list_display = ("vendor", "model", "ci_class", "discontinued_on")
    list_filter = ("ci_class",)
    search_fields = ("vendor", "model")
    filter_horizontal = ("substitutes",)


@admin.register(CI)
class CIAdmin(ReadOnly):
    list_display = ("name", "ci_class", "organization", "status", "location", "serial", "asset_tag", "warranty_end")
    list_filter = ("ci_class", "status", "organization")
    search_fields = ("name", "serial", "asset_tag", "location")


@admin.register(CIRelation)
class CIRelationAdmin(ReadOnly):
    list_display = ("source", "type", "target", "active", "created_at")
    list_filter = ("type", "active")
    raw_id_fields = ("source", "target")


@admin.register(CIChange)
class CIChangeAdmin(ReadOnly):
    list_display = ("ci", "field", "old", "new", "actor", "source", "at")
    list_filter = ("source",)
    raw_id_fields = ("ci",)
