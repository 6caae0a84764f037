"""Template helpers for SLA deadlines: the countdown text (the same format static/js/sla-countdown.js
keeps ticking) and the due-state class of a list row."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents.selectors import ci_fault_count_this_month

register = template.Library()
SOON = timedelta(hours=1)


def countdown_text(seconds: int | float | None) -> str:
    """`1d 02:03:04` left, or `−00:12:30` overdue (the JS countdown renders the same format)."""
    if seconds is None:
        return "–"
    total = int(seconds)
    sign = "−" if total < 0 else ""
    total = abs(total)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    clock = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{sign}{days}{_('d')} {clock}" if days else f"{sign}{clock}"


@register.filter
def countdown(due: datetime | None, now: datetime) -> str:
    if due is None or now is None:
        return "–"
    return countdown_text((due - now).total_seconds())


@register.filter
def seconds_countdown(seconds: Any) -> str:
    return countdown_text(seconds)


@register.simple_tag
def due_state(incident: Any, now: datetime) -> str:
    """A list row's deadline state: none, paused, breached, soon (within the hour) or running."""
    due = getattr(incident, "sla_next_due", None)
    if due is None:
        return "none"
    if getattr(incident, "sla_paused_at", None) is not None:
        return "paused"
    if due <= now:
        return "breached"
    if due - now <= SOON:
        return "soon"
    return "running"


@register.simple_tag
def ci_fault_count(ci: Any) -> int:
    """Faults of a CI this calendar month, for the CI page: the cmdb app renders it without importing
    incidents (cmdb sits below incidents), so the template asks through this tag."""
    return ci_fault_count_this_month(ci, now=timezone.now())
