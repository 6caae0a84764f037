"""Rounds on the change calendar (releases, a lower app, reads settings.CALENDAR_SOURCES) and in the
per-group iCal feed: each round from its scheduled day to its due time."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.urls import reverse
from django.utils import timezone

from releases.calendar import Entry

from .selectors import rounds_upcoming


def round_entries(*, user: Any, start: datetime, end: datetime, organization_id: int | None = None,
                  ci_id: int | None = None, group_id: int | None = None) -> list[Entry]:
    rows = rounds_upcoming(user=user, start=start, end=end, group_id=group_id)
    if organization_id:
        rows = rows.filter(organization_id=organization_id)
    if ci_id:
        rows = rows.filter(targets__ci_id=ci_id).distinct()
    zone = timezone.get_current_timezone()
    out = []
    for ticket in rows[:500]:
        begin = datetime.combine(ticket.scheduled_for, time(9, 0), tzinfo=zone)
        out.append(Entry(kind="inspection", key=f"inspection-{ticket.pk}", title=ticket.title, start=begin,
                         end=max(ticket.due_at, begin + timedelta(hours=1)), number=ticket.number,
                         url=reverse("inspections:detail", args=[ticket.pk]), status=ticket.status,
                         status_label=str(ticket.get_status_display()), organization=ticket.organization.name,
                         obj=ticket))
    return out


def calendar_round_entries(*, user: Any, start: datetime, end: datetime, organization_id: int | None = None,
                           ci_id: int | None = None) -> list[Entry]:
    """The change calendar's source (settings.CALENDAR_SOURCES). A round spans its whole due window,
    so only its scheduled day is drawn on the grid."""
    entries = round_entries(user=user, start=start, end=end, organization_id=organization_id, ci_id=ci_id)
    for entry in entries:
        entry.end = entry.start + timedelta(hours=1)
    return entries
