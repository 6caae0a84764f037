from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.choices import Role
from accounts.models import Organization

from .choices import (
    CHAT_ROBOT_KINDS,
    FAULT_LEVELS,
    ChannelKind,
    DeliveryMode,
    DeliveryStatus,
    NotificationEvent,
    RecipientKind,
)

SMS_DEFAULT_ENDPOINT = "https://dysmsapi.aliyuncs.com/"


def recipient_spec_errors(spec: Any) -> list[str]:
    """Messages for a rule's `recipients` list; empty when every entry is understood."""
    if not isinstance(spec, list):
        return [str(_("Recipients must be a list such as [\"assignee\", \"role:regional_lead\"]."))]
    errors: list[str] = []
    simple = {RecipientKind.ASSIGNEE, RecipientKind.GROUP_LEAD, RecipientKind.TARGET,
              RecipientKind.CUSTOMER_CONTACT, RecipientKind.ORG_USERS}
    for entry in spec:
        if not isinstance(entry, str):
            errors.append(str(_("Each recipient must be text.")))
            continue
        kind, _sep, arg = entry.partition(":")
        if kind in simple and not arg:
            continue
        if kind == RecipientKind.ROLE and arg in Role.values:
            continue
        if kind == RecipientKind.USER and arg.isdigit():
            continue
        errors.append(str(_("Unknown recipient %(entry)r.") % {"entry": entry}))
    return errors


class NotificationChannel(models.Model):
    """A configured way out: in-app, email, a chat robot or an SMS gateway. Secrets are write-only."""

    kind = models.CharField(_("kind"), max_length=20, choices=ChannelKind.choices)
    name = models.CharField(_("name"), max_length=100, unique=True)
    is_active = models.BooleanField(_("active"), default=False)
    webhook_url = models.URLField(_("webhook URL"), max_length=500, blank=True)
    secret = models.CharField(_("signing secret"), max_length=200, blank=True,
                              help_text=_("DingTalk / Feishu robot signing secret."))
    access_key_id = models.CharField(_("AccessKey ID"), max_length=100, blank=True)
    access_key_secret = models.CharField(_("AccessKey secret"), max_length=200, blank=True)
    sign_name = models.CharField(_("SMS signature name"), max_length=100, blank=True)
    template_code = models.CharField(_("SMS template code"), max_length=100, blank=True)
    endpoint = models.URLField(_("SMS endpoint"), max_length=300, default=SMS_DEFAULT_ENDPOINT, blank=True)
    rate_limit_per_minute = models.PositiveIntegerField(
        _("rate limit per minute"), default=0,
        help_text=_("0 = no limit. Chat robots allow about 20 messages a minute."),
    )
    max_attempts = models.PositiveSmallIntegerField(_("max attempts"), default=5)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("notification channel")
        verbose_name_plural = _("notification channels")

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    @property
    def is_chat_robot(self) -> bool:
        return self.kind in CHAT_ROBOT_KINDS

    def secret_values(self) -> list[str]:
        """Every configured secret, so logs and responses can be scrubbed of them."""
        from .redaction import url_secrets

        values = [self.secret, self.access_key_secret, *url_secrets(self.webhook_url)]
        return [v for v in values if v and len(v) >= 4]

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.max_attempts < 1:
            errors["max_attempts"] = [str(_("At least one attempt."))]
        if self.is_active:
            if self.kind in CHAT_ROBOT_KINDS and not self.webhook_url:
                errors["webhook_url"] = [str(_("A robot channel needs its webhook URL."))]
            if self.kind == ChannelKind.SMS:
                for field in ("access_key_id", "access_key_secret", "sign_name", "template_code", "endpoint"):
                    if not getattr(self, field):
                        errors[field] = [str(_("Required for an active SMS channel."))]
        if errors:
            raise ValidationError(errors)


class NotificationRule(models.Model):
    """Which events (at which fault levels, for which organisation) go to whom over which channels."""

    name = models.CharField(_("name"), max_length=150)
    event = models.CharField(_("event"), max_length=40, choices=NotificationEvent.choices, db_index=True)
    fault_levels = models.JSONField(_("fault levels"), default=list, blank=True,
                                    help_text=_("Empty = every level, e.g. [\"I\", \"II\"]."))
    organization = models.ForeignKey(
        Organization, verbose_name=_("organisation"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="notification_rules", help_text=_("Empty = every organisation."),
    )
    channels = models.ManyToManyField(NotificationChannel, verbose_name=_("channels"), related_name="rules")
    recipients = models.JSONField(
        _("recipients"), default=list, blank=True,
        help_text=_("assignee, group_lead, target, customer_contact, org_users, role:<role>, user:<id>"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["event", "name"]
        verbose_name = _("notification rule")
        verbose_name_plural = _("notification rules")

    def __str__(self) -> str:
        return self.name

    def matches_level(self, fault_level: str | None) -> bool:
        return not self.fault_levels or fault_level in self.fault_levels

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        levels = self.fault_levels
        if not isinstance(levels, list) or any(level not in FAULT_LEVELS for level in levels):
            errors["fault_levels"] = [str(_("Fault levels must be a list of I, II, III, IV."))]
        recipient_errors = recipient_spec_errors(self.recipients)
        if recipient_errors:
            errors["recipients"] = recipient_errors
        if errors:
            raise ValidationError(errors)


class Delivery(models.Model):
    """One message to one recipient over one channel, with its attempts. Unique per
    (channel, dedup key, recipient) so emitting the same event twice creates nothing new."""

    channel = models.ForeignKey(NotificationChannel, verbose_name=_("channel"), on_delete=models.PROTECT,
                                related_name="deliveries")
    rule = models.ForeignKey(NotificationRule, verbose_name=_("rule"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="deliveries")
    event = models.CharField(_("event"), max_length=40, choices=NotificationEvent.choices)
    dedup_key = models.CharField(_("deduplication key"), max_length=200)
    recipient_key = models.CharField(_("recipient key"), max_length=200)
    recipient = models.CharField(_("recipient"), max_length=300, blank=True)
    address = models.CharField(_("address"), max_length=254, blank=True, help_text=_("Email or phone."))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="deliveries")
    payload = models.JSONField(_("payload"), default=dict)
    status = models.CharField(_("status"), max_length=10, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    merged_into = models.ForeignKey("self", verbose_name=_("merged into"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="merged")
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(fields=["channel", "dedup_key", "recipient_key"], name="delivery_dedup"),
        ]
        indexes = [
            models.Index(fields=["channel", "status", "next_attempt_at"], name="delivery_due"),
            models.Index(fields=["status", "next_attempt_at"], name="delivery_status_due"),
        ]

    def __str__(self) -> str:
        return f"{self.channel.name} → {self.recipient or self.recipient_key} ({self.status})"


class DeliveryAttempt(models.Model):
    """One try at sending a delivery, with the (scrubbed, ≤ 2 kB) answer. Also the unit the
    per-channel rate limit counts."""

    delivery = models.ForeignKey(Delivery, verbose_name=_("delivery"), on_delete=models.PROTECT,
                                 related_name="attempt_log")
    channel = models.ForeignKey(NotificationChannel, verbose_name=_("channel"), on_delete=models.PROTECT,
                                related_name="attempts")
    at = models.DateTimeField(_("at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    ok = models.BooleanField(_("succeeded"), null=True)
    request_url = models.CharField(_("request URL"), max_length=500, blank=True)
    http_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    response_excerpt = models.TextField(_("response excerpt"), blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        indexes = [models.Index(fields=["channel", "at"], name="attempt_channel_window")]

    def __str__(self) -> str:
        return f"#{self.delivery_id} @ {self.at:%Y-%m-%d %H:%M:%S}"


class Notification(models.Model):
    """An in-app message in one user's inbox."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT,
                             related_name="notifications")
    event = models.CharField(_("event"), max_length=40, choices=NotificationEvent.choices)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("body"), blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True)
    subject = models.CharField(_("ticket"), max_length=40, blank=True,
                               help_text=_("The number of the ticket the message is about; the inbox groups by it."))
    fault_level = models.CharField(_("fault level"), max_length=4, blank=True)
    delivery = models.OneToOneField(Delivery, verbose_name=_("delivery"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="notification")
    created_at = models.DateTimeField(_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notification_inbox"),
            models.Index(fields=["user"], condition=models.Q(read_at__isnull=True), name="notification_unread"),
            models.Index(fields=["user", "subject"], name="notification_subject"),
        ]

    def __str__(self) -> str:
        return self.title


class NotificationPreference(models.Model):
    """One person's choices: which events reach them, on which of their own channels (in-app,
    e-mail), each at once or as a digest every N minutes, and quiet hours in their time zone.
    Level I incidents ignore all of it: they always arrive, at once, on every channel."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT,
                                related_name="notification_preference")
    muted_events = models.JSONField(_("muted events"), default=list, blank=True)
    inapp = models.BooleanField(_("in the inbox"), default=True)
    email = models.BooleanField(_("by e-mail"), default=True)
    mode = models.CharField(_("delivery"), max_length=10, choices=DeliveryMode.choices, default=DeliveryMode.IMMEDIATE)
    digest_minutes = models.PositiveSmallIntegerField(
        _("digest every (minutes)"), default=60,
        validators=[MinValueValidator(5), MaxValueValidator(24 * 60)],
    )
    quiet_start = models.TimeField(_("quiet hours from"), null=True, blank=True)
    quiet_end = models.TimeField(_("quiet hours until"), null=True, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return str(self.user)

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if not isinstance(self.muted_events, list) or any(e not in NotificationEvent.values for e in self.muted_events):
            errors["muted_events"] = [str(_("Unknown notification event."))]
        if (self.quiet_start is None) != (self.quiet_end is None):
            errors["quiet_end"] = [str(_("Give both ends of the quiet hours, or neither."))]
        elif self.quiet_start is not None and self.quiet_start == self.quiet_end:
            errors["quiet_end"] = [str(_("The quiet hours must not start and end at the same time."))]
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            errors["time_zone"] = [str(_("Unknown time zone."))]
        if errors:
            raise ValidationError(errors)

    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("Asia/Shanghai")

    def in_quiet_hours(self, when: datetime) -> bool:
        """Whether `when` falls in the quiet hours, read on the person's wall clock (they may span midnight)."""
        if self.quiet_start is None or self.quiet_end is None:
            return False
        local = when.astimezone(self.zone()).time()
        if self.quiet_start < self.quiet_end:
            return self.quiet_start <= local < self.quiet_end
        return local >= self.quiet_start or local < self.quiet_end
