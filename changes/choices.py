from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# A CAB vote and the customer's approval are decisions of the kernel's approval step: same values.
from tickets.choices import ApprovalDecision as VoteDecision  # noqa: F401
from tickets.choices import ApprovalStepState as ApprovalState  # noqa: F401
from tickets.choices import ApprovalVia as ApprovalChannel  # noqa: F401


class ChangeType(models.TextChoices):
    STANDARD = "standard", _("Standard (pre-approved)")
    NORMAL = "normal", _("Normal")
    EMERGENCY = "emergency", _("Emergency")


class ChangeStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    ASSESSED = "assessed", _("Assessed")
    CAB_APPROVAL = "cab_approval", _("Awaiting CAB approval")
    CUSTOMER_APPROVAL = "customer_approval", _("Awaiting customer approval")
    APPROVED = "approved", _("Approved – to be scheduled")
    SCHEDULED = "scheduled", _("Scheduled")
    IMPLEMENTING = "implementing", _("Implementing")
    IMPLEMENTED = "implemented", pgettext_lazy("change status", "Implemented")
    FAILED = "failed", _("Failed")
    BACKED_OUT = "backed_out", _("Backed out")
    REVIEW = "review", _("In review")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


class ChangeRisk(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class CABRule(models.TextChoices):
    QUORUM = "quorum", _("Quorum (a number of approvals)")
    ALL = "all", _("All members approve")


class WindowKind(models.TextChoices):
    WEEKLY = "weekly", _("Weekly recurring")
    ONE_OFF = "one_off", _("One-off")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class ReviewOutcome(models.TextChoices):
    SUCCESSFUL = "successful", _("Successful")
    PARTIAL = "partial", _("Partially successful")
    UNSUCCESSFUL = "unsuccessful", _("Unsuccessful")


class IncidentRelation(models.TextChoices):
    CAUSED_BY = "caused_by", _("Caused by the change")
    OPENED_ON_FAILURE = "opened_on_failure", _("Opened because the change failed")
