from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ItemKind(models.TextChoices):
    PASS_FAIL = "pass_fail", _("Pass / fail")
    READING = "reading", _("Reading with limits")
    CHOICE = "choice", _("Choice")
    TEXT = "text", _("Text")


class TemplateScope(models.TextChoices):
    CI = "ci", _("Configuration items")
    STORE = "store", _("Spare-parts store")


class Frequency(models.TextChoices):
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    HALF_YEARLY = "half_yearly", _("Half-yearly")


class DayRule(models.TextChoices):
    NTH_WORKING_DAY = "nth_working_day", _("Nth working day of the period")
    NTH_WEEKDAY = "nth_weekday", _("Nth weekday of the period (e.g. first Monday)")


class RoundStatus(models.TextChoices):
    SCHEDULED = "scheduled", pgettext_lazy("inspection round", "Scheduled")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", pgettext_lazy("inspection round", "Done")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_ROUND_STATUSES = (RoundStatus.SCHEDULED, RoundStatus.IN_PROGRESS)
