"""Monitoring intake: where alerts come from (sources and their secrets), how they are mapped
(rules), what each alert became (alert records, deduplicated by fingerprint), what was received
(the inbound log) and what the flood cap held back (per-minute counters)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization, SupportGroup
from cmdb.models import CI
from incidents.choices import FaultLevel
from incidents.models import Incident

from .choices import (
    AlertState,
    AuthScheme,
    CIMatch,
    InboundOutcome,
    InboxState,
    IngestMode,
    OnRecovery,
    RuleAction,
    SourceKind,
)


def secret_digest(secret: str) -> str:
    """Secrets are random tokens, so one SHA-256 is enough (and cheap on every request)."""
    return hashlib.sha256(secret.encode()).hexdigest()


class AlertSource(models.Model):
    """One monitoring system that posts alerts (an Alertmanager, a Zabbix server, a Nagios host),
    with its own secret: a bearer token, or basic auth with `username` and the secret as password.
    Only the secret's digest is stored."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=SourceKind.choices)
    auth_scheme = models.CharField(_("authentication"), max_length=10, choices=AuthScheme.choices,
                                   default=AuthScheme.BEARER)
    username = models.SlugField(_("user name (basic authentication)"), max_length=60, blank=True)
    secret_hash = models.CharField(_("secret digest"), max_length=64, unique=True, editable=False)
    organization = models.ForeignKey(
        Organization, verbose_name=_("default organisation"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", help_text=_("Alerts no rule maps to an organisation belong to this one."),
    )
    max_incidents_per_minute = models.PositiveIntegerField(
        _("new incidents per minute at most"), default=30, validators=[MinValueValidator(1)],
        help_text=_("Flood cap: alerts beyond it are held back (and retried when they repeat)."),
    )
    ingest_mode = models.CharField(
        _("processing"), max_length=10, choices=IngestMode.choices, default=IngestMode.SYNC,
        help_text=_("Queued: each request is one insert and answered 202 at once; a worker opens the incidents "
                    "within seconds. Zabbix then learns the incident number only from a later answer."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("alert source")
        verbose_name_plural = _("alert sources")
        constraints = [
            models.UniqueConstraint(fields=["username"], condition=~Q(username=""), name="alertsource_username_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    def set_secret(self, secret: str) -> None:
        self.secret_hash = secret_digest(secret)

    def set_new_secret(self) -> str:
        """Generate, store (as digest) and return a new random secret."""
        secret = secrets.token_urlsafe(32)
        self.set_secret(secret)
        return secret

    def check_secret(self, secret: str) -> bool:
        return hmac.compare_digest(self.secret_hash, secret_digest(secret))


class AlertRule(models.Model):
    """A mapping rule: when every matcher (label → regular expression, matched in full) fits an
    alert's labels, the alert goes to this organisation/CI/level/group, or is ignored. Rules are
    tried by position; the first match wins."""

    position = models.PositiveIntegerField(_("position"), default=100)
    name = models.CharField(_("name"), max_length=100)
    source = models.ForeignKey(AlertSource, verbose_name=_("source"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="rules", help_text=_("Empty: the rule applies to every source."))
    matchers = models.JSONField(
        _("matchers"), default=dict, blank=True,
        help_text=_('Label → regular expression, all must match, e.g. {"severity": "critical|warning", '
                    '"host": "cam-.*"}. Empty: matches every alert.'),
    )
    action = models.CharField(_("action"), max_length=20, choices=RuleAction.choices, default=RuleAction.INCIDENT)
    organization = models.ForeignKey(Organization, verbose_name=_("organisation"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    ci = models.ForeignKey(CI, verbose_name=_("fixed CI"), null=True, blank=True, on_delete=models.PROTECT,
                           related_name="+")
    ci_match = models.CharField(_("find the CI by"), max_length=20, choices=CIMatch.choices, blank=True,
                                default=CIMatch.NAME)
    ci_label = models.CharField(_("label holding the CI"), max_length=100, blank=True, default="host",
                                help_text=_('E.g. "host", "instance" (a port after ":" is ignored for IPs).'))
    fault_level = models.CharField(_("fault level"), max_length=3, choices=FaultLevel.choices, blank=True,
                                   help_text=_("Empty: from the alert's severity."))
    group = models.ForeignKey(SupportGroup, verbose_name=_("support group"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    on_recovery = models.CharField(_("when the alert resolves"), max_length=20, choices=OnRecovery.choices,
                                   default=OnRecovery.RECORD)
    max_incidents_per_minute = models.PositiveIntegerField(
        _("new incidents per minute at most"), null=True, blank=True, validators=[MinValueValidator(1)],
        help_text=_("Empty: only the source's cap applies."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("alert mapping rule")
        verbose_name_plural = _("alert mapping rules")

    def __str__(self) -> str:
        return self.name


class AlertRecord(models.Model):
    """One alert, by source and fingerprint (Alertmanager's fingerprint, Zabbix's event id, the
    generic event id): how often it came, when first and last, and the incident it feeds."""

    source = models.ForeignKey(AlertSource, verbose_name=_("source"), on_delete=models.PROTECT, related_name="+")
    fingerprint = models.CharField(_("fingerprint"), max_length=200)
    state = models.CharField(_("state"), max_length=20, choices=AlertState.choices)
    title = models.CharField(_("title"), max_length=300)
    labels = models.JSONField(_("labels"), default=dict)
    annotations = models.JSONField(_("annotations"), default=dict, blank=True)
    generator_url = models.CharField(_("link"), max_length=500, blank=True)
    rule = models.ForeignKey(AlertRule, verbose_name=_("rule"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    organization = models.ForeignKey(Organization, verbose_name=_("organisation"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    ci = models.ForeignKey(CI, verbose_name=_("CI"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    incident = models.ForeignKey(Incident, verbose_name=_("incident"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="alerts")
    # The CI this alert's CI depends on directly (its switch): alerts sharing it, or on it, correlate.
    anchor_ci = models.ForeignKey(CI, verbose_name=_("upstream CI"), null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    correlated = models.BooleanField(_("joined a related CI's incident"), default=False)
    count = models.PositiveIntegerField(_("times received"), default=1)
    fired_count = models.PositiveIntegerField(_("times fired"), default=1)
    first_seen = models.DateTimeField(_("first seen"))
    last_seen = models.DateTimeField(_("last seen"))
    starts_at = models.DateTimeField(_("started at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        ordering = ["-last_seen", "-id"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = [
            models.UniqueConstraint(fields=["source", "fingerprint"], name="alertrecord_source_fingerprint"),
        ]
        indexes = [
            # Correlation: the firing alerts (with an incident) on a set of CIs.
            models.Index(fields=["ci", "state"], name="alertrecord_ci_firing", condition=Q(state="firing")),
            models.Index(fields=["anchor_ci", "state"], name="alertrecord_anchor_firing", condition=Q(state="firing")),
        ]

    def __str__(self) -> str:
        return f"{self.source_id}:{self.fingerprint}"


class InboundLog(models.Model):
    """One request to an integration endpoint: who sent it, the raw body, the answer, and what
    was done with its alerts (counts)."""

    received_at = models.DateTimeField(_("received at"), db_index=True)
    endpoint = models.CharField(_("endpoint"), max_length=20, choices=SourceKind.choices)
    source = models.ForeignKey(AlertSource, verbose_name=_("source"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    remote_addr = models.CharField(_("from address"), max_length=64, blank=True)
    status_code = models.PositiveSmallIntegerField(_("HTTP status"))
    outcome = models.CharField(_("outcome"), max_length=20, choices=InboundOutcome.choices)
    message = models.TextField(_("message"), blank=True)
    raw_body = models.TextField(_("raw body"), blank=True)
    alerts = models.PositiveIntegerField(_("alerts"), default=0)
    created = models.PositiveIntegerField(_("incidents opened"), default=0)
    joined = models.PositiveIntegerField(_("joined an incident"), default=0)
    repeated = models.PositiveIntegerField(_("repeats"), default=0)
    resolved = models.PositiveIntegerField(_("recoveries"), default=0)
    reopened = models.PositiveIntegerField(_("reopened"), default=0)
    ignored = models.PositiveIntegerField(_("ignored"), default=0)
    held = models.PositiveIntegerField(_("held back"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("inbound request")
        verbose_name_plural = _("inbound log")

    def __str__(self) -> str:
        return f"{self.endpoint} {self.received_at:%Y-%m-%d %H:%M:%S} {self.status_code}"


class FloodWindow(models.Model):
    """New incidents opened and alerts held back per source (rule_id 0) or per rule, per minute."""

    source = models.ForeignKey(AlertSource, verbose_name=_("source"), on_delete=models.PROTECT, related_name="+")
    rule_id = models.PositiveIntegerField(_("rule"), default=0)
    window_start = models.DateTimeField(_("minute"))
    opened = models.PositiveIntegerField(_("incidents opened"), default=0)
    held = models.PositiveIntegerField(_("held back"), default=0)

    class Meta:
        ordering = ["-window_start", "source_id", "rule_id"]
        verbose_name = _("flood window")
        verbose_name_plural = _("flood windows")
        constraints = [
            models.UniqueConstraint(fields=["source", "rule_id", "window_start"], name="floodwindow_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id}/{self.rule_id} {self.window_start:%H:%M}"


class InboxItem(models.Model):
    """One queued request of a source in queued mode (append-only): its raw body, written with one
    insert by the receiver; a worker turns queued items into alerts in batches. A retry of the same
    body while it is still queued is not queued twice (unique digest among queued items)."""

    source = models.ForeignKey(AlertSource, verbose_name=_("source"), on_delete=models.PROTECT, related_name="+")
    received_at = models.DateTimeField(_("received at"))
    remote_addr = models.CharField(_("from address"), max_length=64, blank=True)
    digest = models.CharField(_("body digest"), max_length=64)
    body = models.TextField(_("raw body"))
    state = models.CharField(_("state"), max_length=10, choices=InboxState.choices, default=InboxState.QUEUED)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    message = models.TextField(_("message"), blank=True)
    incident_number = models.CharField(_("incident"), max_length=20, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("queued alert request")
        verbose_name_plural = _("alert inbox")
        constraints = [
            models.UniqueConstraint(fields=["source", "digest"], condition=Q(state="queued"),
                                    name="inboxitem_queued_once"),
        ]
        indexes = [models.Index(fields=["id"], condition=Q(state="queued"), name="inboxitem_queued")]

    def __str__(self) -> str:
        return f"{self.source_id}:{self.pk} {self.state}"
