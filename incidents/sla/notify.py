"""SLA notifications: one JSON-safe payload per notification, queued after commit by task name
(`incidents.sla_notify_batch_task`): the engine never imports the tasks module that runs it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

from django.db import transaction

from opsdesk.queueing import task_queue

from ..models import Incident

# --- notifications (after commit, through a task) ------------------------------------------------

def epoch(value: datetime) -> int:
    return int(value.timestamp())


Text = str | dict[str, Any]  # plain text, or a message rendered per reader (notifications/messages.py)


def _text(value: Any) -> Text:
    return value if isinstance(value, dict) else str(value)


def notification_context(incident: Incident, *, title: Text, body: Text, extra: dict[str, Any] | None) -> dict[str, Any]:
    group_lead = incident.group.lead_id if incident.group_id and incident.group else None
    context: dict[str, Any] = {
        "title": title, "body": body, "link": f"/incidents/{incident.pk}/", "number": incident.number,
        "assignee_id": incident.assignee_id, "group_lead_id": group_lead,
    }
    if incident.contact_id and incident.contact:
        context.update({"contact_name": incident.contact.name, "contact_email": incident.contact.email,
                        "contact_phone": incident.contact.phone, "contact_user_id": incident.contact.user_id})
    context.update(extra or {})
    return context


def notification_payload(incident: Incident, *, event: str, dedup_key: str, title: Text, body: Text,
             extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """One notification as the task takes it (`notification_emit`'s arguments, JSON-safe). Title
    and body are messages (`msg(...)`), rendered for each recipient when the delivery is made."""
    return {"event": event, "fault_level": incident.fault_level, "organization_id": incident.organization_id,
            "context": notification_context(incident, title=_text(title), body=_text(body), extra=extra),
            "dedup_key": dedup_key}


NOTIFY_BATCH_TASK = "incidents.sla_notify_batch_task"


def queue_notifications(payloads: list[dict[str, Any]]) -> None:
    """One task message for a whole list: a sweep chunk's notifications cost one broker round
    trip, not one per notification."""
    task_queue(NOTIFY_BATCH_TASK, payloads)


def notify_on_commit(payloads: list[dict[str, Any]],
                     queue: Callable[[list[dict[str, Any]]], None] = queue_notifications) -> None:
    """Queue the notifications once the transaction commits (never for work that is rolled back)."""
    if payloads:
        transaction.on_commit(partial(queue, payloads), robust=True)


def notify(incident: Incident, *, event: str, dedup_key: str, title: Text, body: Text,
            extra: dict[str, Any] | None = None) -> None:
    notify_on_commit([notification_payload(incident, event=event, dedup_key=dedup_key, title=title, body=body, extra=extra)])
