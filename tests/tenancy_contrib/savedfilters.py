"""A saved filter and an inbox message of someone at organisation A's desk, so the walk tries their
ids on the saved-filter and notification routes as customer B."""

from __future__ import annotations

from typing import Any

from notifications.models import Notification
from savedfilters.services import saved_filter_create


def contribute(*, org_a: Any, customer_a: Any, ci: Any, incident: Any, contact: Any, operator: Any, engineer: Any,
               now: Any) -> dict[str, Any]:
    saved = saved_filter_create(user=operator, name="Alpha saved breach view", path="/incidents/",
                                query="q=Alpha", now=now)
    note = Notification.objects.create(user=customer_a, event="escalation", title="Alpha inbox secret",
                                       subject=incident.number, link=f"/portal/incidents/{incident.pk}/", created_at=now)
    return {
        "ids": {"saved_filter": [saved.pk], "notification": [note.pk]},
        "secrets": ["Alpha saved breach view", "Alpha inbox secret"],
    }
