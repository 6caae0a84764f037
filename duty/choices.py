from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class DutyRole(models.TextChoices):
    PRIMARY = "primary", _("On duty")
    STANDBY = "standby", _("Standby")
    LEAD = "lead", _("Duty lead")


class RuleKind(models.TextChoices):
    """A rotation is a layer of repeating shifts; the rest are dated entries laid over it."""

    ROTATION = "rotation", _("Rotation")
    HOLIDAY = "holiday", _("Holiday duty")
    OVERRIDE = "override", pgettext_lazy("duty", "Override")
    SWAP = "swap", _("Shift swap")
    EVENT = "event", _("Major-event duty")
    SPECIAL = "special", _("Special support")
    LEAVE = "leave", _("On leave (stand-in)")


class RuleStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class AutoAssign(models.TextChoices):
    OFF = "off", _("Off (the dispatcher chooses)")
    ROUND_ROBIN = "round_robin", _("Round robin among those on duty")
    LEAST_LOADED = "least_loaded", _("Least loaded among those on duty")


# Entries that add people on top of the roster instead of replacing anyone.
ADDING_KINDS = frozenset({RuleKind.EVENT, RuleKind.SPECIAL})
# Entries that replace the rotation's people for their time.
REPLACING_KINDS = frozenset({RuleKind.OVERRIDE, RuleKind.SWAP, RuleKind.LEAVE})


class SupportRequestStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    ACCEPTED = "accepted", _("Accepted: duty booked")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")
