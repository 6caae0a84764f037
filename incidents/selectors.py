"""Permission-scoped reads of incidents. Every one starts from `visible_to(user)`."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from tickets.selectors import ticket_timeline

from .choices import OPEN_STATUSES, QUEUE_STATUSES
from .filtersets import IncidentFilterSet
from .models import Incident

LIST_RELATED = ("organization", "contact", "ci", "assignee", "group")


def incident_base(*, user: Any) -> QuerySet[Incident]:
    return Incident.objects.visible_to(user)


def incident_list(*, user: Any, filters: Any = None) -> QuerySet[Incident]:
    qs = incident_base(user=user).select_related(*LIST_RELATED)
    if filters:
        fs = IncidentFilterSet(filters, queryset=qs)
        if not fs.is_valid():
            from django.core.exceptions import ValidationError

            raise ValidationError(fs.errors)
        qs = fs.qs
    return qs


def incident_get(*, user: Any, pk: Any) -> Incident:
    try:
        return incident_base(user=user).select_related(*LIST_RELATED, "created_by").get(pk=int(pk))
    except (Incident.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def incident_dispatch_queue(*, user: Any) -> QuerySet[Incident]:
    """New and unassigned incidents, most severe first, then oldest."""
    return (
        incident_base(user=user).select_related(*LIST_RELATED)
        .filter(assignee__isnull=True, status__in=QUEUE_STATUSES)
        .order_by("fault_level", "reported_at", "id")
    )


def incident_my_work(*, user: Any) -> QuerySet[Incident]:
    return (
        incident_base(user=user).select_related(*LIST_RELATED)
        .filter(assignee=user, status__in=OPEN_STATUSES)
        .order_by("fault_level", "reported_at", "id")
    )


def incident_possible_duplicates(*, user: Any, organization_id: int | None, ci_id: int | None,
                                 limit: int = 10) -> list[Incident]:
    """Open incidents on the same CI first, then others of the same organisation."""
    if not organization_id and not ci_id:
        return []
    base = incident_base(user=user).select_related("ci", "assignee").filter(status__in=OPEN_STATUSES)
    same_ci = list(base.filter(ci_id=ci_id).order_by("-reported_at")[:limit]) if ci_id else []
    rest: list[Incident] = []
    if organization_id and len(same_ci) < limit:
        rest = list(base.filter(organization_id=organization_id).exclude(pk__in=[i.pk for i in same_ci])
                    .order_by("-reported_at")[: limit - len(same_ci)])
    return same_ci + rest


def incident_timeline(*, user: Any, incident: Incident) -> list[Any]:
    """Events, comments, work logs and attachments in time order; customers see public items only."""
    return ticket_timeline(user=user, ticket=incident)
