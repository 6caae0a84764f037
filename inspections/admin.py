from typing import Any

from django import forms
from django.contrib import admin

from opsdesk.forms import JSON_FORMFIELD_OVERRIDES

from .forms import PlanCleanMixin
from .models import ChecklistItem, ChecklistTemplate, InspectionPlan, InspectionRound


class InspectionPlanAdminForm(PlanCleanMixin, forms.ModelForm):
    """The admin's plan form runs the same plan rules (`plan_clean`) as the staff pages."""

    class Meta:
        model = InspectionPlan
        fields = ["name", "template", "organization", "ci_class", "site", "location", "cis", "sample_size",
                  "storeroom", "frequency", "day_rule", "nth", "weekday", "due_working_days", "group", "assignee",
                  "starts_on", "ends_on", "is_active", "created_at"]


class ChecklistItemInline(admin.TabularInline):
    formfield_overrides = JSON_FORMFIELD_OVERRIDES  # deeply nested JSON is a field error, not a 500
    model = ChecklistItem
    extra = 0


@admin.register(ChecklistTemplate)
class ChecklistTemplateAdmin(admin.ModelAdmin):
    formfield_overrides = JSON_FORMFIELD_OVERRIDES  # deeply nested JSON is a field error, not a 500
    list_display = ("code", "name", "name_en", "form_name", "scope", "is_active")
    inlines = [ChecklistItemInline]


@admin.register(InspectionPlan)
class InspectionPlanAdmin(admin.ModelAdmin):
    formfield_overrides = JSON_FORMFIELD_OVERRIDES  # deeply nested JSON is a field error, not a 500
    form = InspectionPlanAdminForm
    list_display = ("name", "template", "organization", "frequency", "day_rule", "nth", "group", "is_active")
    list_filter = ("frequency", "is_active", "organization")
    filter_horizontal = ("cis",)
    readonly_fields = ("version",)


@admin.register(InspectionRound)
class InspectionRoundAdmin(admin.ModelAdmin):
    formfield_overrides = JSON_FORMFIELD_OVERRIDES  # deeply nested JSON is a field error, not a 500
    list_display = ("number", "title", "status", "scheduled_for", "due_at", "escalated_at")
    list_filter = ("status",)
    readonly_fields = [f.name for f in InspectionRound._meta.fields]

    def has_add_permission(self, request: Any) -> bool:  # rounds come from the beat sweep
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:  # nothing is hard-deleted
        return False
