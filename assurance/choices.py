"""Readable slugs for the assurance records."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class DrillStatus(models.TextChoices):
    SCHEDULED = "scheduled", pgettext_lazy("drill", "Scheduled")
    RECORDED = "recorded", pgettext_lazy("drill", "Recorded")
    CANCELLED = "cancelled", pgettext_lazy("drill", "Cancelled")


class BackupMethod(models.TextChoices):
    RSYNC = "rsync", _("Rsync")
    DISK_TO_VHD = "disk2vhd", _("DiskToVHD")
    DB_DUMP = "dbdump", _("Database dump")
    SNAPSHOT = "snapshot", _("Snapshot")
    OTHER = "other", pgettext_lazy("backup method", "Other")


class RunOutcome(models.TextChoices):
    OK = "ok", pgettext_lazy("backup run", "Succeeded")
    FAILED = "failed", pgettext_lazy("backup run", "Failed")


class RunSource(models.TextChoices):
    API = "api", _("REST API")
    HOOK = "hook", _("Hook script")
    MANUAL = "manual", _("Entered by hand")


class RestoreStatus(models.TextChoices):
    SCHEDULED = "scheduled", pgettext_lazy("restore test", "Scheduled")
    PASSED = "passed", pgettext_lazy("restore test", "Passed")
    FAILED = "failed", pgettext_lazy("restore test", "Failed")
    CANCELLED = "cancelled", pgettext_lazy("restore test", "Cancelled")
