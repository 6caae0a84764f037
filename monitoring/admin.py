"""Configuration (sources, rules) and read-only views (alerts, inbound log, flood windows).
A source's secret is shown once, when it is generated; rules can be tried on a pasted payload."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext_lazy as _

from opsdesk.forms import JSON_FORMFIELD_OVERRIDES

from .models import AlertRecord, AlertRule, AlertSource, FloodWindow, InboundLog, InboxItem
from .payloads import PayloadError, parse
from .selectors import alerts_plan
from .services import matchers_validate


class AlertSourceForm(forms.ModelForm):
    new_secret = forms.CharField(label=_("new secret"), required=False, min_length=16, strip=True,
                                 widget=forms.PasswordInput(render_value=False),
                                 help_text=_("Leave empty to keep the secret (or to generate one for a new source)."))

    class Meta:
        model = AlertSource
        fields = ("name", "kind", "auth_scheme", "username", "organization", "max_incidents_per_minute",
                  "ingest_mode", "is_active")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("auth_scheme") == "basic" and not data.get("username"):
            self.add_error("username", _("Basic authentication needs a user name."))
        return data


@admin.register(AlertSource)
class AlertSourceAdmin(admin.ModelAdmin):
    formfield_overrides = JSON_FORMFIELD_OVERRIDES  # deeply nested JSON is a field error, not a 500
    form = AlertSourceForm
    list_display = ("name", "kind", "auth_scheme", "username", "organization", "max_incidents_per_minute",
                    "ingest_mode", "is_active")
    list_filter = ("kind", "ingest_mode", "is_active")
    search_fields = ("name", "username")
    actions = ["generate_secret"]

    def save_model(self, request: HttpRequest, obj: AlertSource, form: Any, change: bool) -> None:
        new = form.cleaned_data.get("new_secret")
        if new:
            obj.set_secret(new)
        elif not change:
            secret = obj.set_new_secret()
            messages.warning(request, _("The secret of %(source)s (shown once, keep it now): %(secret)s")
                             % {"source": obj.name, "secret": secret})
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Generate a new secret"))
    def generate_secret(self, request: HttpRequest, queryset: Any) -> None:
        for source in queryset:
            secret = source.set_new_secret()
            source.save(update_fields=["secret_hash"])
            messages.warning(request, _("The secret of %(source)s (shown once, keep it now): %(secret)s")
                             % {"source": source.name, "secret": secret})


class AlertRuleForm(forms.ModelForm):
    class Meta:
        model = AlertRule
        fields = ("position", "name", "source", "matchers", "action", "organization", "ci", "ci_match", "ci_label",
                  "fault_level", "group", "on_recovery", "max_incidents_per_minute", "is_active")

    def clean_matchers(self) -> Any:
        value = self.cleaned_data.get("matchers")
        try:
            return matchers_validate(value if value is not None else {})
        except ValidationError as exc:
            raise forms.ValidationError(exc.message_dict["matchers"]) from None


class RuleTestForm(forms.Form):
    source = forms.ModelChoiceField(queryset=AlertSource.objects.all(), label=_("source"))
    payload = forms.CharField(label=_("payload (JSON, as the source sends it)"),
                              widget=forms.Textarea(attrs={"rows": 16, "cols": 100}))


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    formfield_overrides = JSON_FORMFIELD_OVERRIDES  # deeply nested JSON is a field error, not a 500
    form = AlertRuleForm
    list_display = ("position", "name", "source", "action", "organization", "ci_match", "ci_label", "fault_level",
                    "group", "on_recovery", "max_incidents_per_minute", "is_active")
    list_display_links = ("name",)
    list_editable = ("position",)
    list_filter = ("action", "is_active", "source")
    search_fields = ("name",)
    autocomplete_fields = ("ci",)

    def get_urls(self) -> list[Any]:
        return [path("test/", self.admin_site.admin_view(self.test_view), name="monitoring_alertrule_test"),
                *super().get_urls()]

    def test_view(self, request: HttpRequest) -> HttpResponse:
        """Which rule matches each alert of a pasted payload, and what the intake would do (no writes)."""
        if not self.has_view_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        form = RuleTestForm(request.POST or None)
        rows: list[Any] = []
        error = ""
        if request.method == "POST" and form.is_valid():
            source = form.cleaned_data["source"]
            try:
                alerts = parse(source.kind, form.cleaned_data["payload"].encode())
            except PayloadError as exc:
                error = str(exc)
            else:
                rows = alerts_plan(source=source, alerts=alerts)
        return render(request, "admin/monitoring/rule_test.html", {
            **self.admin_site.each_context(request), "title": _("Test the mapping rules"), "form": form,
            "rows": rows, "error": error, "opts": self.model._meta,
        })


class ReadOnlyAdmin(admin.ModelAdmin):
    formfield_overrides = JSON_FORMFIELD_OVERRIDES  # deeply nested JSON is a field error, not a 500
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AlertRecord)
class AlertRecordAdmin(ReadOnlyAdmin):
    formfield_overrides = JSON_FORMFIELD_OVERRIDES  # deeply nested JSON is a field error, not a 500
    list_display = ("last_seen", "source", "fingerprint", "title", "state", "organization", "ci", "incident",
                    "correlated", "count", "fired_count", "first_seen", "resolved_at")
    list_filter = ("state", "source", "correlated")
    search_fields = ("fingerprint", "title", "incident__number")
    list_select_related = ("source", "organization", "ci", "incident")


@admin.register(InboundLog)
class InboundLogAdmin(ReadOnlyAdmin):
    formfield_overrides = JSON_FORMFIELD_OVERRIDES  # deeply nested JSON is a field error, not a 500
    list_display = ("received_at", "endpoint", "source", "remote_addr", "status_code", "outcome", "alerts", "created",
                    "joined", "repeated", "resolved", "reopened", "ignored", "held", "failed")
    list_filter = ("outcome", "endpoint", "source", "status_code")
    search_fields = ("message", "remote_addr")
    list_select_related = ("source",)
    show_full_result_count = False


@admin.register(FloodWindow)
class FloodWindowAdmin(ReadOnlyAdmin):
    formfield_overrides = JSON_FORMFIELD_OVERRIDES  # deeply nested JSON is a field error, not a 500
    list_display = ("window_start", "source", "rule_id", "opened", "held")
    list_filter = ("source",)


@admin.register(InboxItem)
class InboxItemAdmin(ReadOnlyAdmin):
    """Queued-mode requests: what is still waiting, what was processed (and into which incident), what failed."""

    list_display = ("id", "received_at", "source", "state", "attempts", "processed_at", "incident_number", "message")
    list_filter = ("state", "source")
    search_fields = ("incident_number", "message")
    list_select_related = ("source",)
    show_full_result_count = False
