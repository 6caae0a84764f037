from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Contact, Organization, ServiceContract, SupportGroup, User, current_contract


class ServiceContractInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ServiceContract
    extra = 0
    fields = ("number", "starts_on", "ends_on", "service_level", "note")

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "phone", "hotline", "time_zone", "is_active", "contract_now")
    inlines = [ServiceContractInline]

    @admin.display(description=_("current contract"))
    def contract_now(self, obj: Organization) -> str:
        today = timezone.localdate()
        contract = current_contract(obj.pk, today)
        if contract is None:
            return "–"
        flag = f" ⚠ {_('ends within 60 days')}" if contract.ending_soon(today) else ""
        return f"{contract}{flag}"
    search_fields = ("name", "code")
    list_filter = ("is_active",)

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False  # deactivate instead: nothing is hard-deleted


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "name", "role", "organization", "phone", "is_active")
    list_filter = ("role", "is_active", "auth_source", "organization")
    search_fields = ("username", "name", "email", "phone")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("OpsDesk"), {"fields": ("name", "role", "organization", "phone", "language", "auth_source")}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (_("OpsDesk"), {"fields": ("name", "role", "organization", "phone", "email")}),
    )

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        super().save_model(request, obj, form, change)
        from .services import user_sync_role_group

        user_sync_role_group(user=obj)

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(SupportGroup)
class SupportGroupAdmin(admin.ModelAdmin):
    list_display = ("name", "region", "lead", "is_active")
    filter_horizontal = ("members",)
    search_fields = ("name", "region")

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("name", "phone", "email", "organization", "is_active")
    list_filter = ("organization", "is_active")
    search_fields = ("name", "phone", "email")
    raw_id_fields = ("user",)

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
