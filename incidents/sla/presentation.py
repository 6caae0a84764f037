"""Reading the clocks for pages, the API and reports: one row per target, and the list filter."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from tickets.choices import ClockState
from tickets.clocks import (
    clocks_of,
    is_business,
)
from tickets.models import SLAClock
from tickets.sla.calendar import BusinessCalendar
from tickets.sla.clock import measure

from ..models import Incident
from .policy import KIND, TARGET_ORDER, T, incident_policy

# --- reading -------------------------------------------------------------------------------------

def clock_view_state(clock: SLAClock) -> str:
    if clock.met_at is not None:
        return "met"
    if clock.paused_at is not None:
        return "paused"
    if clock.breached_at is not None:
        return "breached"
    return "warned" if clock.warned_pct else "running"


def incident_sla_view(*, incident: Incident, now: datetime) -> list[dict[str, Any]]:
    """One dict per target, in the order respond, on site, restore, resolve, progress, report.
    `seconds_left`: wall-clock seconds to the due time while running (negative once overdue, so a
    countdown can tick), the time left on the clock's kind while paused, None once met."""
    fresh = incident.__dict__.pop("fresh_sla_clocks", None)  # just written by incident_sla_start
    clocks = fresh if fresh is not None else clocks_of(ticket_kind=KIND, ticket_id=incident.pk)
    calendar: BusinessCalendar | None = None
    out: list[dict[str, Any]] = []
    for target in TARGET_ORDER:
        clock = clocks.get(target)
        if clock is None:
            continue
        seconds: int | None
        if clock.met_at is not None:
            seconds = None
        elif clock.paused_at is not None:
            if is_business(clock) and calendar is None:
                calendar = incident_policy(incident, now=now).calendar
            left = measure(clock.paused_at, clock.due_at, business=is_business(clock),
                           calendar=calendar or BusinessCalendar())
            seconds = int(left.total_seconds()) if clock.breached_at is None else 0
        else:
            seconds = int((clock.due_at - now).total_seconds())
        out.append({
            "target": target, "label": str(T(target).label), "due_at": clock.due_at, "state": clock_view_state(clock),
            "warned_pct": clock.warned_pct, "met_at": clock.met_at, "breached_at": clock.breached_at,
            "seconds_left": seconds,
        })
    return out


def sla_filter(qs: QuerySet[Incident], value: str) -> QuerySet[Incident]:
    """"breached": a target is past due and unmet; "at_risk": a warning has passed on a running
    target that is not breached yet."""
    clocks = SLAClock.objects.filter(ticket_kind=KIND, ticket_id=OuterRef("pk"), met_at__isnull=True)
    if value == "breached":
        return qs.filter(Exists(clocks.filter(breached_at__isnull=False)))
    if value == "at_risk":
        return qs.filter(Exists(clocks.filter(state=ClockState.RUNNING, warned_pct__gt=0)))
    return qs
