from django.db import models
from django.utils.translation import gettext_lazy as _


class SourceKind(models.TextChoices):
    """Which endpoint a source posts to (and so which payload shape it sends)."""

    ALERTMANAGER = "alertmanager", _("Prometheus Alertmanager")
    ZABBIX = "zabbix", _("Zabbix")
    EVENTS = "events", _("Generic events (Nagios, Icinga, scripts)")


class AuthScheme(models.TextChoices):
    BEARER = "bearer", _("Bearer token")
    BASIC = "basic", _("Basic authentication")


class IngestMode(models.TextChoices):
    """How a source's requests are handled: in the request (the answer carries the incident), or
    queued (one insert into the inbox, 202 at once; a worker turns them into incidents in batches)."""

    SYNC = "sync", _("In the request (answer carries the incident number)")
    QUEUED = "queued", _("Queued (202 at once, processed in batches)")


class InboxState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    DONE = "done", _("Processed")
    FAILED = "failed", _("Failed")


class RuleAction(models.TextChoices):
    INCIDENT = "incident", _("Open or join an incident")
    IGNORE = "ignore", _("Ignore")


class CIMatch(models.TextChoices):
    """Which CI field the rule's label value is compared with."""

    NONE = "", _("Do not look up a CI")
    NAME = "name", _("Name")
    IP = "ip", _("Management IP")
    ASSET_TAG = "asset_tag", _("Asset tag")
    SERIAL = "serial", _("Serial number")


class OnRecovery(models.TextChoices):
    RECORD = "record", _("Record the recovery only")
    RESTORE = "restore", _("Mark the incident restored")


class AlertState(models.TextChoices):
    FIRING = "firing", _("Firing")
    RESOLVED = "resolved", _("Resolved")
    HELD = "held", _("Held back (flood cap)")
    IGNORED = "ignored", _("Ignored by a rule")
    UNMAPPED = "unmapped", _("No organisation")


class InboundOutcome(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    UNAUTHORIZED = "unauthorized", _("Wrong or missing secret")
    MALFORMED = "malformed", _("Malformed payload")
    ERROR = "error", _("Processing error")


# Alert severities (Alertmanager's `severity` label, Zabbix's severity names, Nagios states) →
# fault level, when the rule does not fix the level.
SEVERITY_LEVEL: dict[str, str] = {
    "disaster": "I", "emergency": "I", "fatal": "I",
    "critical": "II", "high": "II", "page": "II", "down": "II", "unreachable": "II",
    "major": "III", "average": "III", "error": "III",
    "warning": "IV", "minor": "IV", "info": "IV", "information": "IV", "not classified": "IV",
    "unknown": "IV", "low": "IV",
}
DEFAULT_LEVEL = "III"
