"""Drills on the change calendar (releases, a lower app, reads settings.CALENDAR_SOURCES): each
scheduled or recorded drill in its time window."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.urls import reverse

from releases.calendar import Entry

from .choices import DrillStatus
from .models import Drill


def calendar_drill_entries(*, user: Any, start: datetime, end: datetime, organization_id: int | None = None,
                           ci_id: int | None = None) -> list[Entry]:
    if getattr(user, "is_customer", True) and not getattr(user, "is_superuser", False):
        return []
    rows = (Drill.objects.visible_to(user).exclude(status=DrillStatus.CANCELLED)
            .filter(scheduled_start__lt=end, scheduled_end__gt=start).select_related("organization", "plan"))
    if organization_id:
        rows = rows.filter(organization_id=organization_id)
    if ci_id:
        rows = rows.filter(plan__cis=ci_id).distinct()
    return [Entry(kind="drill", key=f"drill-{d.pk}", title=d.title, start=d.scheduled_start, end=d.scheduled_end,
                  url=reverse("assurance:drill_detail", args=[d.pk]), status=d.status,
                  status_label=str(d.get_status_display()), organization=d.organization.name, obj=d)
            for d in rows.order_by("scheduled_start", "pk")[:500]]
