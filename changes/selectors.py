"""Permission-scoped reads of changes. Every one starts from `visible_to(user)`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from .models import Change

LIST_RELATED = ("organization", "contact", "assignee", "requester", "cab", "template")


def change_base(*, user: Any) -> QuerySet[Change]:
    return Change.objects.visible_to(user)


def change_get(*, user: Any, pk: Any) -> Change:
    try:
        return change_base(user=user).select_related(*LIST_RELATED, "created_by").get(pk=int(pk))
    except (Change.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None


def change_calendar_list(*, user: Any, start: datetime, end: datetime) -> QuerySet[Change]:
    """Changes whose planned window overlaps [start, end), visible to the user, by start time.
    Changes without a planned window are not on the calendar."""
    return (
        change_base(user=user).select_related(*LIST_RELATED)
        .filter(planned_start__lt=end, planned_end__gt=start)
        .prefetch_related("cis")
        .order_by("planned_start", "id")
    )
