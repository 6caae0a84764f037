from django.contrib import admin

from .models import DutyMember, DutyRule, GroupRouting, Skill, SupportRequest


class DutyMemberInline(admin.TabularInline):
    model = DutyMember
    extra = 1
    autocomplete_fields = ("user",)


@admin.register(DutyRule)
class DutyRuleAdmin(admin.ModelAdmin):
    """Rotations (people, first handoff, shift length, optional daily window, layer), holiday duty
    and dated entries. Withdraw an entry (status, active) instead of deleting it."""

    list_display = ("__str__", "group", "kind", "role", "status", "starts_at", "ends_at", "shift_length", "layer",
                    "is_active")
    list_filter = ("kind", "role", "status", "is_active", "group")
    list_select_related = ("group",)
    inlines = [DutyMemberInline]
    autocomplete_fields = ("replaces",)
    readonly_fields = ("created_by", "decided_by", "decided_at")

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(GroupRouting)
class GroupRoutingAdmin(admin.ModelAdmin):
    list_display = ("group", "auto_assign", "last_assigned")


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ("user", "ci_class")
    list_filter = ("ci_class",)
    autocomplete_fields = ("user",)


@admin.register(SupportRequest)
class SupportRequestAdmin(admin.ModelAdmin):
    list_display = ("title", "organization", "starts_at", "ends_at", "status")
    list_filter = ("status",)
    readonly_fields = ("organization", "requested_by", "created_at", "decided_by", "decided_at", "duty_rule",
                       "status", "version")
