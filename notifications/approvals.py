"""Reminders and escalations of overdue approvals (tickets/approvals.py), delivered by this app's
rules: the approval step sends `opsdesk.signals.approval_notice` after commit (tickets and
notifications are independent apps of one layer, so neither imports the other) and
`NotificationsConfig.ready()` connects `approval_notice_receive` to it.

Each recipient gets one notification (in-app for users, e-mail by the rule's channels; approvers
who only have an e-mail address, e.g. a customer contact answering by link, by e-mail). The two
default rules are created on first use (and by migration) when no rule for the event exists, so an
admin may edit or switch them off like any other rule."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User

from .choices import ChannelKind, NotificationEvent, RecipientKind
from .models import NotificationChannel, NotificationRule
from .services import notification_emit

DEFAULT_RULES = (
    ("Approval overdue → approvers", NotificationEvent.APPROVAL_REMINDER),
    ("Approval escalated → escalation target", NotificationEvent.APPROVAL_ESCALATION),
)
DEFAULT_CHANNELS = (("In-app", ChannelKind.INAPP), ("Email", ChannelKind.EMAIL))


def approval_rules_ensure() -> None:
    """The default rules for approval events (in-app + e-mail to the people the notice names), unless
    an admin already has a rule for the event (active or not)."""
    for name, event in DEFAULT_RULES:
        if NotificationRule.objects.filter(event=event).exists():
            continue
        channels = []
        for channel_name, kind in DEFAULT_CHANNELS:
            channel = (NotificationChannel.objects.filter(kind=kind).order_by("-is_active", "pk").first()
                       or NotificationChannel.objects.create(name=channel_name, kind=kind, is_active=True))
            channels.append(channel)
        rule = NotificationRule.objects.create(
            name=name, event=event, recipients=[RecipientKind.TARGET, RecipientKind.CUSTOMER_CONTACT])
        rule.channels.set(channels)


@transaction.atomic
def approval_notice_emit(*, notice: dict[str, Any]) -> int:
    """One notification per recipient of the notice; returns the deliveries created. Idempotent by
    the notice's dedup key (a second call creates nothing)."""
    approval_rules_ensure()
    event = (NotificationEvent.APPROVAL_ESCALATION if notice.get("kind") == "escalation"
             else NotificationEvent.APPROVAL_REMINDER)
    now = datetime.fromisoformat(notice["now"]) if notice.get("now") else timezone.now()
    staff_ids = set(User.objects.filter(pk__in=[r["user_id"] for r in notice["recipients"] if r.get("user_id")])
                    .exclude(role="customer").values_list("pk", flat=True))
    created = 0
    for recipient in notice["recipients"]:
        user_id, email = recipient.get("user_id"), recipient.get("email") or ""
        context: dict[str, Any] = {
            # messages rendered for each reader (language, the organisation's time zone); texts from older notices
            "title": notice.get("subject_message") or notice["subject"],
            "body": notice.get("body_message") or notice["body"], "number": notice.get("number") or "",
            # The staff page; customers and link-only approvers have the portal and their link.
            "link": (notice.get("link") or "") if user_id in staff_ids else "",
        }
        if user_id:
            context["target_user_ids"] = [user_id]
        elif email:
            context.update(contact_email=email, contact_name=recipient.get("name") or email)
        else:
            continue
        created += len(notification_emit(event=event, fault_level=None, organization_id=notice.get("organization_id"),
                                         context=context, dedup_key=f"{notice['dedup_key']}:{user_id or email}",
                                         now=now))
    return created


def approval_notice_receive(sender: Any, notice: dict[str, Any], **kwargs: Any) -> int:
    return approval_notice_emit(notice=notice)
