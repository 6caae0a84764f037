"""The demo kind's services: a create, its effects, and the thin transition — nothing more."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from accounts.choices import Role
from tickets.approvals import ApproverSpec, approval_open
from tickets.audit import ticket_insert_created
from tickets.choices import ApprovalOrder, ApprovalRule
from tickets.numbering import next_number_and_id
from tickets.transitions import TicketKindSpec, TransitionContext, kind_register, transition_run

from .models import DemoStatus as S
from .models import DemoTicket
from .workflow import DEMO_WORKFLOW

COMPANY_APPROVERS_OPTION = "company_approvers"


@transaction.atomic
def demo_create(*, actor: Any, organization: Any, title: str, contact: Any = None, now: datetime) -> DemoTicket:
    number, pk = next_number_and_id(DemoTicket.NUMBER_PREFIX, DemoTicket)
    ticket = DemoTicket(pk=pk, number=number, title=title, organization=organization, contact=contact,
                        reported_at=now, created_by=actor, status=S.DRAFT)
    ticket_insert_created(ticket=ticket, actor=actor, now=now, public=True,
                          data={"number": ticket.number, "title": title})
    return ticket


def _customer_approvers(ticket: DemoTicket) -> list[Any]:
    users = list(get_user_model().objects.filter(organization_id=ticket.organization_id, role=Role.CUSTOMER,
                                                 is_active=True).order_by("pk"))
    if ticket.contact is not None and ticket.contact.email and not ticket.contact.user_id:
        users.append(ApproverSpec(email=ticket.contact.email, name=ticket.contact.name))
    return users


def _effects(ctx: TransitionContext) -> None:
    ticket, now = ctx.ticket, ctx.now
    if ctx.action == "submit":
        ctx.stamp("submitted_at", now)
        # The company approves first: every named manager, one after another, within 2 working days.
        approval_open(ticket=ticket, stage="company", approvers=ctx.payload["company_approvers"],
                      rule=ApprovalRule.ALL, order=ApprovalOrder.SEQUENTIAL, due_working_days=2,
                      approve_action="approve", reject_action="reject", actor=ctx.actor, now=now)
    elif ctx.action == "approve" and ctx.old_status == S.COMPANY_APPROVAL:
        # ... then the customer: any one of its portal users or its contact (by link), within 3 days.
        ctx.target = S.CUSTOMER_APPROVAL
        approval_open(ticket=ticket, stage="customer", approvers=_customer_approvers(ticket), quorum=1,
                      due_working_days=3, approve_action="approve", reject_action="reject", actor=ctx.actor,
                      now=now)
    elif ctx.action == "approve":
        ctx.target = S.APPROVED
        ctx.stamp("approved_at", now)
    elif ctx.action == "reject":
        ctx.stamp("rejected_at", now)


DEMO_KIND = kind_register(TicketKindSpec(model=DemoTicket, workflow=DEMO_WORKFLOW, effects=_effects))


def demo_transition(*, ticket_id: int, actor: Any, action: str, version: int | None = None,
                    payload: dict[str, Any] | None = None, now: datetime) -> DemoTicket:
    ticket: DemoTicket = transition_run(spec=DEMO_KIND, ticket_id=ticket_id, actor=actor, action=action,
                                        version=version, payload=payload, now=now)
    return ticket
