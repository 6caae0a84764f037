from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from opsdesk.forms import JSON_FORMFIELD_OVERRIDES

from .models import Delivery, DeliveryAttempt, Notification, NotificationChannel, NotificationRule
from .redaction import mask_url

SECRET_FIELDS = ("webhook_url", "secret", "access_key_secret")


class ChannelForm(forms.ModelForm):  # type: ignore[type-arg]
    """Secrets are write-only: the form never shows them back; leaving one blank keeps it."""

    webhook_url = forms.CharField(label=_("webhook URL"), required=False, max_length=500,
                                  widget=forms.PasswordInput(render_value=False),
                                  help_text=_("Leave blank to keep the stored value."))
    secret = forms.CharField(label=_("signing secret"), required=False, max_length=200,
                             widget=forms.PasswordInput(render_value=False),
                             help_text=_("Leave blank to keep the stored value."))
    access_key_secret = forms.CharField(label=_("AccessKey secret"), required=False, max_length=200,
                                        widget=forms.PasswordInput(render_value=False),
                                        help_text=_("Leave blank to keep the stored value."))

    class Meta:
        model = NotificationChannel
        fields = ("kind", "name", "is_active", "webhook_url", "secret", "access_key_id", "access_key_secret",
                  "sign_name", "template_code", "endpoint", "rate_limit_per_minute", "max_attempts")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.instance.pk:
            for name in SECRET_FIELDS:
                if not data.get(name):
                    data[name] = getattr(self.instance, name)
                    setattr(self.instance, name, data[name])
        return data


@admin.register(NotificationChannel)
class NotificationChannelAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = ChannelForm
    list_display = ("name", "kind", "is_active", "masked_webhook", "secrets_set", "rate_limit_per_minute",
                    "max_attempts")
    list_filter = ("kind", "is_active")
    search_fields = ("name",)

    @admin.display(description=_("webhook URL"))
    def masked_webhook(self, obj: NotificationChannel) -> str:
        return mask_url(obj.webhook_url)

    @admin.display(description=_("secrets set"))
    def secrets_set(self, obj: NotificationChannel) -> str:
        names = [str(NotificationChannel._meta.get_field(n).verbose_name) for n in ("secret", "access_key_secret")
                 if getattr(obj, n)]
        return ", ".join(names) or "—"

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # switch off instead: deliveries keep pointing at it


@admin.register(NotificationRule)
class NotificationRuleAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    formfield_overrides = JSON_FORMFIELD_OVERRIDES  # deeply nested JSON is a field error, not a 500
    list_display = ("name", "event", "fault_levels", "organization", "recipients", "is_active")
    list_filter = ("event", "is_active")
    search_fields = ("name",)
    filter_horizontal = ("channels",)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class DeliveryAttemptInline(admin.TabularInline):  # type: ignore[type-arg]
    model = DeliveryAttempt
    fields = ("at", "finished_at", "ok", "http_status", "request_url", "response_excerpt", "error")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "channel", "event", "recipient", "status", "attempts", "sent_at", "last_error")
    list_filter = ("status", "event", "channel")
    search_fields = ("dedup_key", "recipient", "address")
    list_select_related = ("channel",)
    inlines = (DeliveryAttemptInline,)
    date_hierarchy = "created_at"


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "event", "title", "read_at")
    list_filter = ("event",)
    search_fields = ("title", "user__username")
    list_select_related = ("user",)
