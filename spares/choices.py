from django.db import models
from django.utils.translation import gettext_lazy as _


class MovementKind(models.TextChoices):
    RECEIVE = "receive", _("Receive")
    ISSUE = "issue", _("Issue")
    RETURN = "return", _("Return")
    WRITE_OFF = "write_off", _("Write-off")
    TRANSFER = "transfer", _("Transfer")


class MovementStatus(models.TextChoices):
    PENDING = "pending", _("Pending approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    DONE = "done", _("Done")


# Statuses whose quantity has moved: `done` needed no approval, `approved` moved when it was approved.
APPLIED_STATUSES = (MovementStatus.DONE, MovementStatus.APPROVED)

# Which storeroom a kind takes stock from and/or puts it into.
TAKES_FROM = frozenset({MovementKind.ISSUE, MovementKind.WRITE_OFF, MovementKind.TRANSFER})
PUTS_INTO = frozenset({MovementKind.RECEIVE, MovementKind.RETURN, MovementKind.TRANSFER})


class ReplacementDecision(models.TextChoices):
    REPLACE = "replace", _("Replace the device")
    REPAIR = "repair", _("Repair and keep watching")
    KEEP = "keep", _("Keep (faults not caused by the device)")
