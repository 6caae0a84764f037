from django.db import models
from django.utils.translation import gettext_lazy as _


class TicketKind(models.TextChoices):
    INCIDENT = "incident", _("Incident")
    REQUEST = "request", _("Service request")
    PROBLEM = "problem", _("Problem")
    CHANGE = "change", _("Change")
    RELEASE = "release", _("Release")
    INSPECTION = "inspection", _("Inspection round")
    LEAVE = "leave", _("Leave request")


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
    SLA_WARNING = "sla_warning", _("SLA warning")
    SLA_BREACH = "sla_breach", _("SLA breached")
    SLA_MET = "sla_met", _("SLA target met")
    ESCALATED = "escalated", _("Escalated")
    PROGRESS = "progress", _("Progress update")
    REPORT = "report", _("Fault report")
    LOAN = "loan", _("Spare device loan")
    NOTIFIED = "notified", _("Notified")
    RATED = "rated", _("Rated by the customer")
    LINKED = "linked", _("Linked")
    UNLINKED = "unlinked", _("Unlinked")
    VOTED = "voted", _("Vote recorded")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    SCHEDULED = "scheduled", _("Scheduled")
    REVIEWED = "reviewed", _("Reviewed")
    DEPLOYED = "deployed", _("Deployed")
    PUBLISHED = "published", _("Published")
    APPROVAL_REQUESTED = "approval_requested", _("Approval requested")
    APPROVAL_DECIDED = "approval_decided", _("Approval decision recorded")
    APPROVAL_REMINDED = "approval_reminded", _("Approval reminder sent")
    APPROVAL_ESCALATED = "approval_escalated", _("Overdue approval escalated")


class SLATargetName(models.TextChoices):
    RESPOND = "respond", _("Response")
    ONSITE = "onsite", _("On site")
    RESTORE = "restore", _("Restore")
    RESOLVE = "resolve", _("Resolve")
    PROGRESS = "progress", _("Progress update")
    REPORT = "report", _("Fault report")


class ClockKind(models.TextChoices):
    ALWAYS = "24x7", _("24×7")
    BUSINESS = "business", _("Business hours")


class ClockState(models.TextChoices):
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    MET = "met", _("Met")
    BREACHED = "breached", _("Breached")


class CalendarDayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Holiday (not worked)")
    WORKDAY = "workday", _("Make-up working day (调休)")


class CalendarDaySource(models.TextChoices):
    OFFICIAL = "official", _("Official (holidays package)")
    ADMIN = "admin", _("Admin override")


class EscalationRecipient(models.TextChoices):
    GROUP_LEAD = "group_lead", _("The support group's lead")
    ROLE = "role", _("Everyone with a role")
    USER = "user", _("A named user")
    CUSTOMER_CONTACT = "customer_contact", _("The customer's contact")


class ApprovalOrder(models.TextChoices):
    PARALLEL = "parallel", _("In parallel (any order)")
    SEQUENTIAL = "sequential", _("One after another")


class ApprovalRule(models.TextChoices):
    QUORUM = "quorum", _("Quorum (a number of approvals)")
    ALL = "all", _("All approvers approve")


class ApprovalStepState(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ApprovalDecision(models.TextChoices):
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")


class ApprovalVia(models.TextChoices):
    PORTAL = "portal", _("Portal")
    LINK = "link", _("Signed link")
    API = "api", _("API")
