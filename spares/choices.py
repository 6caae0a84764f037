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


class RMAStatus(models.TextChoices):
    """A warranty return (RMA) with the vendor: sent → with the vendor → returned / replaced / refused."""

    SENT = "sent", _("Sent to the vendor")
    WITH_VENDOR = "with_vendor", _("With the vendor")
    RETURNED = "returned", _("Returned repaired")
    REPLACED = "replaced", _("Replaced by the vendor")
    REFUSED = "refused", _("Refused by the vendor")


RMA_NEXT = {
    RMAStatus.SENT: (RMAStatus.WITH_VENDOR, RMAStatus.RETURNED, RMAStatus.REPLACED, RMAStatus.REFUSED),
    RMAStatus.WITH_VENDOR: (RMAStatus.RETURNED, RMAStatus.REPLACED, RMAStatus.REFUSED),
}
RMA_CLOSED = (RMAStatus.RETURNED, RMAStatus.REPLACED, RMAStatus.REFUSED)
