"""Reads of the team app. Every one starts from `visible_to(user)` (leave requests) or is
restricted to staff, or to the user's own scorecards."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet
from django.http import Http404

from tickets.choices import ApprovalStepState
from tickets.models import Approval
from tickets.selectors import ticket_timeline

from .choices import KIND, LeaveStatus
from .models import LeaveRequest

LIST_RELATED = ("organization", "engineer", "stand_in")


def leave_list(*, user: Any) -> QuerySet[LeaveRequest]:
    """Staff see every leave request; a customer its organisation's (those it is asked about)."""
    return LeaveRequest.objects.visible_to(user).select_related(*LIST_RELATED)


def leave_get(*, user: Any, pk: Any) -> LeaveRequest:
    try:
        return leave_list(user=user).select_related("contact", "created_by").get(pk=int(pk))
    except (LeaveRequest.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None


def leave_timeline(*, user: Any, leave: LeaveRequest) -> list[Any]:
    return ticket_timeline(user=user, ticket=leave)


def leave_approvals(*, leave: LeaveRequest) -> list[Approval]:
    return list(Approval.objects.filter(ticket_kind=KIND, ticket_id=leave.pk).prefetch_related("approvers")
                .order_by("created_at", "pk"))


def leave_pending_approvals(*, ids: list[int]) -> dict[int, Approval]:
    """The pending approval step of each leave request (for the list's due and overdue column)."""
    rows = (Approval.objects.filter(ticket_kind=KIND, ticket_id__in=ids, state=ApprovalStepState.PENDING)
            .order_by("ticket_id", "-created_at"))
    out: dict[int, Approval] = {}
    for row in rows:
        out.setdefault(row.ticket_id, row)
    return out


def leave_waiting_for_customer(*, user: Any) -> list[tuple[LeaveRequest, Approval]]:
    """The leave requests a customer user is asked to approve now, the most urgent first."""
    approvals = list(Approval.objects.filter(ticket_kind=KIND, state=ApprovalStepState.PENDING,
                                             approvers__user_id=user.pk, approvers__decision="")
                     .order_by("due_at", "pk").distinct())
    leaves = {lv.pk: lv for lv in leave_list(user=user).filter(pk__in=[a.ticket_id for a in approvals],
                                                              status=LeaveStatus.CUSTOMER_APPROVAL)}
    return [(leaves[a.ticket_id], a) for a in approvals if a.ticket_id in leaves]


def scorecards_visible(*, user: Any) -> QuerySet[Any]:
    """KPI managers see every scorecard; anyone else their own published ones."""
    from .kpi import can_manage_kpi
    from .models import Scorecard

    qs = Scorecard.objects.select_related("user", "published_by")
    if not getattr(user, "is_authenticated", False) or not user.is_active or user.is_customer:
        return qs.none()
    if can_manage_kpi(user):
        return qs
    return qs.filter(user=user, status="published")


def scorecard_get(*, user: Any, pk: Any) -> Any:
    try:
        return scorecards_visible(user=user).get(pk=int(pk))
    except (ObjectDoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None
