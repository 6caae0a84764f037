"""Permission-scoped reads of service requests and of any ticket's timeline. Timeline readers take
a ticket already loaded through its type's selector (so it is visible to the user)."""

from __future__ import annotations

from itertools import chain
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F, QuerySet
from django.http import Http404

from .choices import ApprovalStepState
from .filtersets import ServiceRequestFilterSet
from .models import Approval, Attachment, Comment, ServiceRequest, TicketBase, TicketEvent, WorkLog


def request_list(*, user: Any, filters: Any = None) -> QuerySet[ServiceRequest]:
    qs = ServiceRequest.objects.visible_to(user).select_related("organization", "contact", "assignee", "group")
    if filters:
        fs = ServiceRequestFilterSet(filters, queryset=qs, user=user)
        if not fs.is_valid():
            raise ValidationError(fs.errors)
        qs = fs.qs
    return qs


def request_get(*, user: Any, pk: Any) -> ServiceRequest:
    try:
        return request_list(user=user).get(pk=int(pk))
    except (ServiceRequest.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# --- Timeline, generic over ticket type --------------------------------------------------------

def _key(ticket: TicketBase) -> dict[str, Any]:
    return {"ticket_kind": ticket.KIND, "ticket_id": ticket.pk}


def ticket_comment_list(*, user: Any, ticket: TicketBase) -> QuerySet[Comment]:
    qs = Comment.objects.filter(**_key(ticket)).select_related("author")
    return qs.filter(public=True) if user.is_customer else qs


def ticket_worklog_list(*, user: Any, ticket: TicketBase) -> QuerySet[WorkLog]:
    """Work logs are internal: for customers they do not exist (404, like anything invisible)."""
    if user.is_customer:
        raise Http404
    return WorkLog.objects.filter(**_key(ticket)).select_related("author")


def ticket_attachment_list(*, user: Any, ticket: TicketBase) -> QuerySet[Attachment]:
    qs = Attachment.objects.filter(**_key(ticket)).select_related("author")
    return qs.filter(public=True) if user.is_customer else qs


def ticket_attachment_get(*, user: Any, ticket: TicketBase, pk: Any) -> Attachment:
    try:
        return ticket_attachment_list(user=user, ticket=ticket).get(pk=int(pk))
    except (Attachment.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None


def ticket_event_list(*, user: Any, ticket: TicketBase) -> QuerySet[TicketEvent]:
    qs = TicketEvent.objects.filter(**_key(ticket)).select_related("actor")
    return qs.filter(public=True) if user.is_customer else qs


def ticket_timeline(*, user: Any, ticket: TicketBase) -> list[Any]:
    """Events, comments, work logs and attachments of one ticket in time order (customers: public
    items only). Merging four short per-ticket lists; never used over many tickets."""
    worklogs: Any = [] if user.is_customer else ticket_worklog_list(user=user, ticket=ticket)
    items = chain(ticket_event_list(user=user, ticket=ticket), ticket_comment_list(user=user, ticket=ticket),
                  ticket_attachment_list(user=user, ticket=ticket), worklogs)
    return sorted(items, key=lambda item: (item.created_at, item.__class__.__name__, item.pk))


# --- Approvals (tickets/approvals.py) -----------------------------------------------------------

def approval_list_for_ticket(*, user: Any, ticket: TicketBase) -> QuerySet[Approval]:
    """The approval steps of one ticket (already loaded through its kind's selector), with their
    approvers. Customers see the steps they are asked to decide."""
    qs = Approval.objects.filter(**_key(ticket)).prefetch_related("approvers")
    return qs.filter(approvers__user_id=user.pk).distinct() if user.is_customer else qs


def approval_list_waiting_for(*, user: Any) -> QuerySet[Approval]:
    """Pending approvals in which `user` has not decided yet, the most urgent first (their own queue)."""
    return (Approval.objects.filter(state=ApprovalStepState.PENDING, approvers__user_id=user.pk,
                                    approvers__decision="")
            .order_by(F("due_at").asc(nulls_last=True), "created_at", "id").distinct())
