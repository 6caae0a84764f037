"""Permission-scoped reads of changes. Every one starts from `visible_to(user)`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404

from cmdb.models import CI
from incidents.models import Incident
from tickets.selectors import ticket_timeline

from .choices import ApprovalState, ChangeStatus
from .filtersets import ChangeFilterSet
from .models import CAB, CABVote, Change, ChangeIncidentLink, ChangeTemplate, CustomerApproval, FreezeWindow

LIST_RELATED = ("organization", "contact", "assignee", "requester", "cab", "template")


def change_base(*, user: Any) -> QuerySet[Change]:
    return Change.objects.visible_to(user)


def change_list(*, user: Any, filters: Any = None) -> QuerySet[Change]:
    qs = change_base(user=user).select_related(*LIST_RELATED)
    if filters:
        fs = ChangeFilterSet(filters, queryset=qs, user=user)
        if not fs.is_valid():
            raise ValidationError(fs.errors)
        qs = fs.qs
    return qs


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


def change_timeline(*, user: Any, change: Change) -> list[Any]:
    return ticket_timeline(user=user, ticket=change)


def change_votes(*, user: Any, change: Change) -> QuerySet[CABVote]:
    """CAB votes are internal: for customers they do not exist (404)."""
    if user.is_customer:
        raise Http404
    return CABVote.objects.of_change(change).select_related("user", "approval").order_by("round", "created_at", "id")


def change_approvals(*, user: Any, change: Change) -> QuerySet[CustomerApproval]:
    return (CustomerApproval.objects.of_change(change).prefetch_related("approvers__user")
            .order_by("-created_at", "-id"))


def change_incident_links(*, user: Any, change: Change) -> QuerySet[ChangeIncidentLink]:
    return (change.incident_links.filter(incident__in=Incident.objects.visible_to(user))
            .select_related("incident", "created_by").order_by("-created_at", "-id"))


def incident_change_links(*, user: Any, incident: Incident) -> QuerySet[ChangeIncidentLink]:
    """The changes linked to an incident (the incident page's panel)."""
    return (ChangeIncidentLink.objects.filter(incident=incident, change__in=change_base(user=user))
            .select_related("change").order_by("-created_at", "-id"))


def ci_change_list(*, user: Any, ci: CI, limit: int = 20) -> list[Change]:
    """The latest changes touching one CI (the CI page's panel)."""
    through = Change.cis.through.objects.filter(ci_id=ci.pk).values("change_id")
    return list(change_base(user=user).filter(pk__in=through).order_by("-planned_start", "-id")[:limit])


def customer_approvals_pending(*, user: Any) -> QuerySet[Change]:
    """The customer's organisation's changes waiting for its answer, soonest window first."""
    return (change_base(user=user).filter(status=ChangeStatus.CUSTOMER_APPROVAL)
            .select_related(*LIST_RELATED).order_by("planned_start", "id"))


def customer_approvals_decided(*, user: Any, limit: int = 50) -> list[CustomerApproval]:
    """The organisation's answers, newest first, each with its change (one query for the changes)."""
    rows = list(CustomerApproval.objects.filter(ticket_id__in=change_base(user=user).values("pk"))
                .filter(state__in=(ApprovalState.APPROVED, ApprovalState.REJECTED))
                .prefetch_related("approvers__user").order_by("-decided_at", "-id")[:limit])
    changes = Change.objects.in_bulk([r.ticket_id for r in rows])
    for row in rows:
        row.__dict__["change"] = changes[row.ticket_id]  # the cached property, filled
    return rows


def cab_pending_for(*, user: Any) -> QuerySet[Change]:
    """Changes waiting for this CAB member's vote in the open round."""
    voted = CABVote.objects.filter(approval__ticket_id=OuterRef("pk"), user=user, round=OuterRef("cab_round"))
    return (change_base(user=user).filter(status=ChangeStatus.CAB_APPROVAL, cab__members=user)
            .exclude(Exists(voted)).select_related(*LIST_RELATED).order_by("planned_start", "id"))


def cab_list(*, user: Any) -> QuerySet[CAB]:
    if user.is_customer:
        return CAB.objects.none()
    return CAB.objects.filter(is_active=True).annotate(member_count=Count("members", filter=Q(
        members__is_active=True))).order_by("name")


def template_list(*, user: Any, organization_id: int | None = None) -> QuerySet[ChangeTemplate]:
    if user.is_customer:
        return ChangeTemplate.objects.none()
    qs = ChangeTemplate.objects.filter(is_active=True)
    if organization_id is not None:
        qs = qs.filter(Q(organization__isnull=True) | Q(organization_id=organization_id))
    return qs.order_by("name", "id")


def freeze_window_list(*, user: Any, start: datetime | None = None, end: datetime | None = None
                       ) -> QuerySet[FreezeWindow]:
    """Active freeze windows that apply to what the user sees (customers: global and their own)."""
    qs = FreezeWindow.objects.filter(is_active=True)
    if user.is_customer:
        qs = qs.filter(Q(organization__isnull=True) | Q(organization_id=user.organization_id))
    if start is not None and end is not None:
        qs = qs.filter(start__lt=end, end__gt=start)
    return qs.select_related("organization").order_by("start", "id")
