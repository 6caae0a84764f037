from django.db import models
from django.utils.translation import gettext_lazy as _


class ReleaseStatus(models.TextChoices):
    PLANNING = "planning", _("Planning")
    SCHEDULED = "scheduled", _("Scheduled")
    DEPLOYING = "deploying", _("Deploying")
    DEPLOYED = "deployed", _("Deployed")
    VERIFIED = "verified", _("Verified")
    CLOSED = "closed", _("Closed")
    ROLLED_BACK = "rolled_back", _("Rolled back")
    CANCELLED = "cancelled", _("Cancelled")


# A change belongs to at most one release in these states (see ReleaseChange's constraint).
FINISHED_STATUSES = (ReleaseStatus.CLOSED, ReleaseStatus.CANCELLED)
OPEN_STATUSES = tuple(s for s in ReleaseStatus if s not in FINISHED_STATUSES)
# While these hold, the release's content (changes, plan, window) may still be edited.
EDITABLE_STATUSES = (ReleaseStatus.PLANNING, ReleaseStatus.SCHEDULED, ReleaseStatus.ROLLED_BACK)


class Environment(models.TextChoices):
    TEST = "test", _("Test")
    STAGING = "staging", _("Staging")
    PRODUCTION = "production", _("Production")


class DeploymentResult(models.TextChoices):
    SUCCESS = "success", _("Succeeded")
    FAILED = "failed", _("Failed")
    ROLLED_BACK = "rolled_back", _("Rolled back")
