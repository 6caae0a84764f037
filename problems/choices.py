from django.db import models
from django.utils.translation import gettext_lazy as _


class ProblemStatus(models.TextChoices):
    NEW = "new", _("New")
    INVESTIGATING = "investigating", _("Investigating")
    KNOWN_ERROR = "known_error", _("Known error")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_PROBLEM_STATUSES = (ProblemStatus.NEW, ProblemStatus.INVESTIGATING, ProblemStatus.KNOWN_ERROR)


class ProblemPriority(models.TextChoices):
    CRITICAL = "1", _("1 – critical")
    HIGH = "2", _("2 – high")
    MEDIUM = "3", _("3 – medium")
    LOW = "4", _("4 – low")


# The readable id of a known error: the problem's number with this prefix (PRB-000042 → KE-000042).
KNOWN_ERROR_PREFIX = "KE"
