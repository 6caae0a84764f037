from django.db import models
from django.utils.translation import gettext_lazy as _


class Security(models.TextChoices):
    SSL = "ssl", _("TLS (IMAPS, port 993)")
    STARTTLS = "starttls", _("STARTTLS (port 143)")
    PLAIN = "plain", _("Unencrypted (tests and loopback only)")


class OpenAs(models.TextChoices):
    REQUEST = "request", _("Service request")
    INCIDENT = "incident", _("Incident")


class InboundStatus(models.TextChoices):
    CLAIMED = "claimed", _("Being processed")
    TICKET = "ticket", _("Ticket opened")
    COMMENT = "comment", _("Added to a ticket")
    TRIAGE = "triage", _("Waiting in triage")
    TRIAGED = "triaged", _("Ticket opened from triage")
    DISCARDED = "discarded", _("Discarded")
    IGNORED = "ignored", _("Ignored (automatic mail or loop)")
    FAILED = "failed", _("Failed")


class MailDirection(models.TextChoices):
    INBOUND = "in", _("Received")
    OUTBOUND = "out", _("Sent")
