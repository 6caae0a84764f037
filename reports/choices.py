from django.db import models
from django.utils.translation import gettext_lazy as _


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Generating")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


FINISHED_STATUSES = (RunStatus.DONE, RunStatus.FAILED)


class EmailStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting for the reports")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Not sent: no recipients")


# Roles that may publish a report to the customer's portal (a manager signs and sends it).
PUBLISH_ROLES = frozenset({"manager", "regional_lead", "supervisor"})
