"""Readable slugs for channel kinds, events, delivery states and recipient kinds."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

# Fault levels as the incidents app spells them; repeated here because this app sits below
# incidents in the layering and must not import it.
FAULT_LEVELS = ("I", "II", "III", "IV")


class ChannelKind(models.TextChoices):
    INAPP = "inapp", _("In-app")
    EMAIL = "email", _("Email")
    WECOM = "wecom", _("WeCom robot")
    DINGTALK = "dingtalk", _("DingTalk robot")
    FEISHU = "feishu", _("Feishu robot")
    SMS = "sms", _("SMS (Aliyun SendSms)")


CHAT_ROBOT_KINDS = frozenset({ChannelKind.WECOM, ChannelKind.DINGTALK, ChannelKind.FEISHU})
"""Robots post into one group chat: one delivery per event, not one per person."""


class NotificationEvent(models.TextChoices):
    SLA_WARNING = "sla.warning", _("SLA warning threshold passed")
    SLA_BREACH = "sla.breach", _("SLA target breached")
    ESCALATION = "escalation", _("Escalated")
    INCIDENT_MAJOR = "incident.major", _("Major incident")
    INCIDENT_ASSIGNED = "incident.assigned", _("Incident assigned")
    PROGRESS_OVERDUE = "progress.overdue", _("Progress update overdue")
    REPORT_OVERDUE = "report.overdue", _("Fault report overdue")
    OBSERVATION_CLOSED = "observation.closed", _("Observation period ended")
    CI_REPLACEMENT = "ci.replacement", _("Device flagged for replacement")
    APPROVAL_REMINDER = "approval.reminder", _("Approval overdue: reminder to the approvers")
    APPROVAL_ESCALATION = "approval.escalation", _("Approval overdue: escalated")
    SUPPORT_REQUESTED = "support.requested", _("Special support requested by a customer")
    SUPPORT_ANSWERED = "support.answered", _("Special support request accepted or declined")
    DIGEST = "digest", _("Digest of merged notifications")


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    MERGED = "merged", _("Merged into a digest")
    HELD = "held", _("Held for the recipient's digest")


class RecipientKind(models.TextChoices):
    """Who a rule notifies. `role:<role>` and `user:<id>` take a suffix."""

    ASSIGNEE = "assignee", _("The assignee")
    GROUP_LEAD = "group_lead", _("The group lead")
    TARGET = "target", _("The people the event names (e.g. the escalation target)")
    CUSTOMER_CONTACT = "customer_contact", _("The customer's contact")
    ORG_USERS = "org_users", _("The organisation's portal users")
    ROLE = "role", _("Everyone with a role (role:<role>)")
    USER = "user", _("One user (user:<id>)")


class DeliveryMode(models.TextChoices):
    """How a person wants e-mail and other personal channels: each message at once, or a digest."""

    IMMEDIATE = "immediate", _("Immediately")
    DIGEST = "digest", _("Digest every few minutes")


PERSONAL_CHANNEL_KINDS = frozenset({ChannelKind.INAPP, ChannelKind.EMAIL})
"""The channels a person chooses for themselves (robots post into a group chat; SMS is the desk's choice)."""
