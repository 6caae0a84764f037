from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from opsdesk.forms import JSON_FORMFIELD_OVERRIDES

from .models import (
    AuditAnchor,
    CalendarDay,
    CalendarYear,
    CallRecord,
    EscalationStep,
    ServiceRequest,
    SLAClock,
    SLAPolicy,
    SLATarget,
    TicketEvent,
    WorkCalendar,
)
from .sla_policies import sla_config_can_write, target_validate, thresholds_validate, week_validate


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
    list_display = ("ticket_kind", "ticket_id", "seq", "action", "actor", "created_at", "key_id")
    list_filter = ("ticket_kind", "action")
    show_full_result_count = False


@admin.register(AuditAnchor)
class AuditAnchorAdmin(ReadOnlyAdmin):
    list_display = ("day", "organization", "digest", "tickets", "events")
    list_filter = ("organization",)
    date_hierarchy = "day"
    show_full_result_count = False


@admin.register(CallRecord)
class CallRecordAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "caller_phone", "outcome", "organization", "operator")
    list_filter = ("outcome",)


# --- SLA configuration (DESIGN.md rule 10: configuration is data) ---------------------------------


class ConfigAdmin(admin.ModelAdmin):
    """Superusers and project managers edit; nothing that tickets refer to is hard-deleted here."""

    formfield_overrides = JSON_FORMFIELD_OVERRIDES  # deeply nested JSON is a field error, not a 500

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return sla_config_can_write(request.user) or super().has_change_permission(request, obj)

    def has_add_permission(self, request, *args):  # type: ignore[no-untyped-def]
        return sla_config_can_write(request.user) or super().has_add_permission(request, *args)

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class CalendarDayInline(admin.TabularInline):
    model = CalendarDay
    extra = 0
    fields = ("date", "kind", "name", "source")
    ordering = ("-date",)


class CalendarYearInline(admin.TabularInline):
    model = CalendarYear
    extra = 0
    fields = ("year", "confirmed", "note")


class WorkCalendarForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = WorkCalendar
        fields = ("code", "name", "time_zone", "week", "makeup_weekday", "holiday_country")

    def clean_week(self) -> Any:
        try:
            return week_validate(self.cleaned_data.get("week"))
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["week"]) from None


@admin.register(WorkCalendar)
class WorkCalendarAdmin(ConfigAdmin):
    form = WorkCalendarForm
    list_display = ("name", "code", "time_zone", "holiday_country")
    inlines = (CalendarYearInline, CalendarDayInline)


class SLATargetForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = SLATarget
        fields = ("fault_level", "target", "duration", "business_days", "clock")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("fault_level") and data.get("target"):
            try:
                target_validate(data)
            except ValidationError as exc:
                for name, messages in exc.message_dict.items():
                    for message in messages:
                        self.add_error(name if name in self.fields else None, message)
        return data


class SLATargetInline(admin.TabularInline):
    model = SLATarget
    form = SLATargetForm
    extra = 0
    ordering = ("fault_level", "target")


class SLAPolicyForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = SLAPolicy
        fields = ("name", "organization", "calendar", "warn_thresholds", "observation_days", "escalation_step",
                  "is_active")

    def clean_warn_thresholds(self) -> Any:
        try:
            return thresholds_validate(self.cleaned_data.get("warn_thresholds"))
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["warn_thresholds"]) from None


@admin.register(SLAPolicy)
class SLAPolicyAdmin(ConfigAdmin):
    form = SLAPolicyForm
    list_display = ("name", "organization", "calendar", "warn_thresholds", "is_active")
    list_filter = ("is_active",)
    list_select_related = ("organization", "calendar")
    inlines = (SLATargetInline,)


@admin.register(EscalationStep)
class EscalationStepAdmin(ConfigAdmin):
    list_display = ("organization", "level", "recipient", "role", "user")
    list_filter = ("level", "recipient")
    list_select_related = ("organization", "user")


@admin.register(SLAClock)
class SLAClockAdmin(ReadOnlyAdmin):
    list_display = ("ticket_kind", "ticket_id", "target", "state", "due_at", "warned_pct", "met_at", "breached_at")
    list_filter = ("ticket_kind", "target", "state")
    show_full_result_count = False
