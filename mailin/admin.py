"""Admin: mailboxes (the password is write-only and stored encrypted), the inbound log (read-only:
what each mail became and why), and the Message-ID → ticket map."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .crypto import password_encrypt
from .models import InboundMail, Mailbox, MailThread
from .services import mailbox_poll


class MailboxForm(forms.ModelForm):
    password = forms.CharField(
        label=_("password"), required=False, strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Stored encrypted; never shown again. Leave empty to keep the current password."))

    class Meta:
        model = Mailbox
        fields = ("name", "is_active", "host", "port", "security", "username", "folder", "address", "open_as",
                  "request_type", "incident_keywords", "request_keywords", "default_organization",
                  "process_existing", "send_acknowledgement", "max_message_bytes")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.instance.pk and not data.get("password"):
            self.add_error("password", _("Enter the mailbox password."))
        return data

    def save(self, commit: bool = True) -> Mailbox:
        mailbox = super().save(commit=False)
        if self.cleaned_data.get("password"):
            mailbox.password_encrypted = password_encrypt(self.cleaned_data["password"])
        if commit:
            mailbox.save()
        return mailbox


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    form = MailboxForm
    list_display = ("name", "is_active", "host", "port", "security", "username", "folder", "open_as",
                    "last_polled_at", "last_error")
    list_filter = ("is_active", "open_as")
    readonly_fields = ("uidvalidity", "last_uid", "last_polled_at", "last_error")
    actions = ["poll_now"]

    @admin.action(description=_("Poll the selected mailboxes now"))
    def poll_now(self, request: HttpRequest, queryset: QuerySet[Mailbox]) -> None:
        for mailbox in queryset:
            summary = mailbox_poll(mailbox_id=mailbox.pk)
            if summary.error:
                self.message_user(request, f"{mailbox}: {summary.error}", messages.ERROR)
            else:
                self.message_user(request, _("%(mailbox)s: %(count)s new mails, %(failed)s failed.")
                                  % {"mailbox": mailbox, "count": summary.fetched, "failed": summary.failed})


@admin.register(InboundMail)
class InboundMailAdmin(admin.ModelAdmin):
    list_display = ("received_at", "mailbox", "status", "from_address", "subject", "ticket_number", "reason")
    list_filter = ("status", "mailbox")
    search_fields = ("from_address", "subject", "message_id", "ticket_number")
    date_hierarchy = "received_at"
    exclude = ("raw",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in self.model._meta.fields if f.name != "raw"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(MailThread)
class MailThreadAdmin(admin.ModelAdmin):
    list_display = ("created_at", "direction", "ticket_number", "message_id")
    list_filter = ("direction",)
    search_fields = ("message_id", "ticket_number")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
