from django.db import models
from django.utils.translation import gettext_lazy as _


class FaultLevel(models.TextChoices):
    I = "I", _("I – critical")  # noqa: E741
    II = "II", _("II – major")
    III = "III", _("III – significant")
    IV = "IV", _("IV – minor")


class Impact(models.TextChoices):
    HIGH = "high", _("High – a whole system or site")
    MEDIUM = "medium", _("Medium – a group of users or devices")
    LOW = "low", _("Low – one user or device")


class Urgency(models.TextChoices):
    HIGH = "high", _("High – service is down")
    MEDIUM = "medium", _("Medium – service is degraded")
    LOW = "low", _("Low – workaround exists")


class IncidentStatus(models.TextChoices):
    NEW = "new", _("New")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    PENDING = "pending", _("Pending customer")
    RESOLVED = "resolved", _("Resolved")
    OBSERVING = "observing", _("Observing")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = (IncidentStatus.NEW, IncidentStatus.ASSIGNED, IncidentStatus.IN_PROGRESS, IncidentStatus.PENDING)
QUEUE_STATUSES = (IncidentStatus.NEW, IncidentStatus.ASSIGNED)


class CauseCategory(models.TextChoices):
    HARDWARE = "hardware", _("Hardware failure")
    SOFTWARE = "software", _("Software fault")
    NETWORK = "network", _("Network / line")
    POWER = "power", _("Power system")
    ENVIRONMENT = "environment", _("Environment (temperature, water, lightning)")
    CONFIGURATION = "configuration", _("Configuration or data")
    OPERATION = "operation", _("Operating error")
    EXTERNAL = "external", _("Third party / external")
    SECURITY = "security", _("Security incident")
    UNKNOWN = "unknown", _("Unknown")


# Impact × urgency suggests the fault level (a dispatcher may override with a reason).
LEVEL_MATRIX: dict[tuple[str, str], str] = {
    ("high", "high"): "I", ("high", "medium"): "II", ("medium", "high"): "II",
    ("high", "low"): "III", ("medium", "medium"): "III", ("low", "high"): "III",
    ("medium", "low"): "IV", ("low", "medium"): "IV", ("low", "low"): "IV",
}


def suggest_level(impact: str, urgency: str) -> str:
    return LEVEL_MATRIX[(impact, urgency)]


# The account the SLA sweep acts as (auto-close at the end of observation, …).
SYSTEM_USERNAME = "opsdesk-system"
