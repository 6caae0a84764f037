from django.db import models
from django.utils.translation import gettext_lazy as _


class TicketKind(models.TextChoices):
    INCIDENT = "incident", _("Incident")
    REQUEST = "request", _("Service request")


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    PORTAL = "portal", _("Portal")
    EMAIL = "email", _("Email")
    API = "api", _("API")
    MONITORING = "monitoring", _("Monitoring")
    INSPECTION = "inspection", _("Inspection")


class RequestType(models.TextChoices):
    CONSULTATION = "consultation", _("Consultation")
    SERVICE_REQUEST = "service_request", _("Service request")
    COMPLAINT = "complaint", _("Complaint")
    TRAINING = "training", _("User training")


class RequestStatus(models.TextChoices):
    NEW = "new", _("New")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    PENDING = "pending", _("Pending customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class CallOutcome(models.TextChoices):
    ANSWERED = "answered", _("Answered")
    MISSED = "missed", _("Missed")


class EventAction(models.TextChoices):
    CREATED = "created", _("Created")
    TRANSITION = "transition", _("Status changed")
    UPDATED = "updated", _("Updated")
    COMMENT = "comment", _("Comment added")
    WORKLOG = "worklog", _("Work logged")
    ATTACHMENT = "attachment", _("Attachment added")
    CALL_LINKED = "call_linked", _("Call linked")
