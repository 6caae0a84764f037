"""Leave requests: create with a hand-over plan, and the transition service. The approval step is
the kernel's (tickets/approvals.py): the company's leads first, then the customer — any one of
its portal users, or its contact by signed link — due in two working days of the customer's
calendar, escalated to the project manager when overdue. An approved leave puts the stand-in on
the roster for the leave's time and hands the open incidents over (each reassigned with its event)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.choices import Role
from accounts.models import Contact, Organization, SupportGroup
from duty.services import duty_leave_record
from incidents.choices import OPEN_STATUSES
from incidents.models import Incident
from incidents.services import incident_transition
from incidents.sla import system_actor
from incidents.workflow import INCIDENT_WORKFLOW
from tickets.approvals import ApproverSpec, approval_open, approval_withdraw
from tickets.audit import event_record, ticket_insert_created
from tickets.choices import ApprovalRule, EventAction
from tickets.numbering import next_number_and_id
from tickets.transitions import TicketKindSpec, TransitionContext, kind_register, transition_run

from .choices import LeaveStatus as S
from .choices import LeaveType
from .models import HandoverItem, LeaveRequest
from .workflow import LEAVE_WORKFLOW, MANAGERS

User = get_user_model()
CUSTOMER_DUE_WORKING_DAYS = 2
COMPANY_DUE_WORKING_DAYS = 1


def open_incidents_of(engineer: Any) -> list[Incident]:
    return list(Incident.objects.filter(assignee=engineer, status__in=OPEN_STATUSES).order_by("reported_at", "pk"))


def _staff(user: Any) -> bool:
    return user is not None and user.is_active and not user.is_customer


@transaction.atomic
def leave_create(*, actor: Any, engineer: Any, organization: Organization, starts_at: datetime, ends_at: datetime,
                 stand_in: Any, handover: Sequence[tuple[Any, Any]] = (), duties: Sequence[tuple[str, Any]] = (),
                 leave_type: str = LeaveType.ANNUAL, reason: str = "", contact: Contact | None = None,
                 now: datetime) -> LeaveRequest:
    """A draft leave request with its hand-over plan: `handover` pairs (incident, colleague) —
    every open incident of the engineer must be in it — and `duties` pairs (what, colleague)."""
    if actor.is_customer or not (actor.pk == engineer.pk or actor.is_superuser or actor.role in MANAGERS):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    if starts_at is None or ends_at is None or ends_at <= starts_at:
        errors["ends_at"] = [_("The leave must end after it starts.")]
    if leave_type not in LeaveType.values:
        errors["leave_type"] = [_("Choose a leave type.")]
    if not _staff(stand_in) or stand_in.pk == engineer.pk:
        errors["stand_in"] = [_("Name a colleague who takes the duty shifts.")]
    if contact is not None and contact.organization_id != organization.pk:
        errors["contact"] = [_("This contact belongs to another organisation.")]
    planned: dict[int, Any] = {}
    fresh = {i.pk: i for i in Incident.objects.filter(pk__in=[i.pk for i, _u in handover])}
    handover = [(fresh[i.pk], u) for i, u in handover if i.pk in fresh]
    for incident, to_user in handover:
        if incident.assignee_id != engineer.pk:
            errors["handover"] = [_("Only the engineer's own incidents are handed over.")]
        elif not _staff(to_user) or to_user.pk == engineer.pk:
            errors["handover"] = [_("Every incident goes to an active colleague.")]
        planned[incident.pk] = to_user
    missing = [i.number for i in open_incidents_of(engineer) if i.pk not in planned]
    if missing:
        errors["handover"] = [_("The hand-over plan must say who takes %(numbers)s.") % {"numbers": ", ".join(missing)}]
    clean_duties = [((what or "").strip(), who) for what, who in duties if (what or "").strip()]
    if any(not _staff(who) or who.pk == engineer.pk for _what, who in clean_duties):
        errors["duties"] = [_("Every duty goes to an active colleague.")]
    if errors:
        raise ValidationError(errors)
    title = _("Leave of %(name)s") % {"name": engineer.display_name}
    number, pk = next_number_and_id(LeaveRequest.NUMBER_PREFIX, LeaveRequest)
    leave = LeaveRequest(
        pk=pk, number=number, title=title[:200], description=(reason or "").strip(),
        organization=organization, contact=contact, reported_at=now, created_by=actor, engineer=engineer,
        leave_type=leave_type, starts_at=starts_at, ends_at=ends_at, stand_in=stand_in, status=S.DRAFT)
    items = [HandoverItem(leave=leave, incident=i, to_user=u) for i, u in handover]
    items += [HandoverItem(leave=leave, duty=what[:300], to_user=who) for what, who in clean_duties]
    ticket_insert_created(ticket=leave, actor=actor, now=now, public=True, data={
        "number": leave.number, "engineer": engineer.pk, "starts_at": starts_at, "ends_at": ends_at,
        "stand_in": stand_in.pk, "handover": [[i.incident_id, i.duty, i.to_user_id] for i in items]})
    HandoverItem.objects.bulk_create(items)  # the items take the leave's id, known now on every database
    return leave


def company_approvers(leave: LeaveRequest) -> list[Any]:
    """The leads of the engineer's support groups, else the project managers."""
    leads = list(User.objects.filter(pk__in=SupportGroup.objects.filter(members=leave.engineer_id, is_active=True)
                                     .values("lead_id"), is_active=True).exclude(pk=leave.engineer_id).order_by("pk"))
    return leads or list(User.objects.filter(role=Role.MANAGER, is_active=True).exclude(username="opsdesk-system")
                         .order_by("pk"))


def customer_approvers(leave: LeaveRequest) -> list[Any]:
    approvers: list[Any] = list(User.objects.filter(organization_id=leave.organization_id, role=Role.CUSTOMER,
                                                    is_active=True).order_by("pk"))
    if leave.contact is not None and leave.contact.email and not leave.contact.user_id:
        approvers.append(ApproverSpec(email=leave.contact.email, name=leave.contact.name))
    return approvers


def _escalate_to() -> Any:
    return User.objects.filter(role=Role.MANAGER, is_active=True).exclude(username="opsdesk-system").order_by("pk").first()


def _effects(ctx: TransitionContext) -> None:
    leave, now = ctx.ticket, ctx.now
    if ctx.action == "submit":
        if not customer_approvers(leave):
            raise ValidationError({"organization": [
                _("The customer has no portal user and the contact no e-mail address: nobody could approve.")]})
        approvers = company_approvers(leave)
        if not approvers:
            raise ValidationError({"engineer": [_("Nobody can approve for the company: name a group lead.")]})
        ctx.stamp("submitted_at", now)
        approval_open(ticket=leave, stage="company", approvers=approvers, rule=ApprovalRule.QUORUM, quorum=1,
                      due_working_days=COMPANY_DUE_WORKING_DAYS, approve_action="approve", reject_action="reject",
                      escalate_to=_escalate_to(), actor=ctx.actor, now=now)
    elif ctx.action == "approve" and ctx.old_status == S.COMPANY_APPROVAL:
        ctx.target = S.CUSTOMER_APPROVAL
        approval_open(ticket=leave, stage="customer", approvers=customer_approvers(leave), quorum=1,
                      due_working_days=CUSTOMER_DUE_WORKING_DAYS, approve_action="approve", reject_action="reject",
                      escalate_to=_escalate_to(), actor=ctx.actor, now=now)
    elif ctx.action == "approve":
        ctx.target = S.APPROVED
        ctx.stamp("approved_at", now)
        ctx.stamp("handed_over_at", now)
    elif ctx.action == "reject":
        ctx.stamp("rejected_at", now)
    elif ctx.action == "cancel":
        ctx.stamp("cancel_reason", ctx.reason)
        approval_withdraw(ticket=leave, now=now)


def _after(ctx: TransitionContext) -> None:
    """Approved: the stand-in on the roster, and the hand-over carried out."""
    if ctx.action != "approve" or ctx.ticket.status != S.APPROVED:
        return
    leave: LeaveRequest = ctx.ticket
    system = system_actor()
    rules = duty_leave_record(engineer=leave.engineer, stand_in=leave.stand_in, starts_at=leave.starts_at,
                              ends_at=leave.ends_at, reason=leave.number, actor=system, now=ctx.now)
    leave.duty_rules.add(*rules)
    done: list[list[Any]] = []
    for item in leave.handover.select_related("incident", "to_user").filter(done_at__isnull=True):
        incident = item.incident
        if incident is not None:
            incident = Incident.objects.get(pk=incident.pk)
            if (incident.assignee_id != leave.engineer_id
                    or incident.status not in INCIDENT_WORKFLOW.by_action["assign"].sources):
                continue  # closed or taken over meanwhile: nothing to hand over
            incident_transition(incident_id=incident.pk, actor=system, action="assign", now=ctx.now, payload={
                "assignee": item.to_user_id, "group": incident.group_id,
                "reason": _("Hand-over for leave %(number)s") % {"number": leave.number}})
        item.done_at = ctx.now
        item.save(update_fields=["done_at"])
        done.append([item.incident_id, item.duty, item.to_user_id])
    event_record(ticket=leave, actor=system, action=EventAction.UPDATED, now=ctx.now, public=True,
                 data={"handover": done, "roster": [r.pk for r in rules]})


LEAVE_KIND = kind_register(TicketKindSpec(model=LeaveRequest, workflow=LEAVE_WORKFLOW, effects=_effects, after=_after))


@transaction.atomic
def leave_transition(*, leave_id: int, actor: Any, action: str, version: int | None = None,
                     payload: dict[str, Any] | None = None, now: datetime) -> LeaveRequest:
    leave: LeaveRequest = transition_run(spec=LEAVE_KIND, ticket_id=leave_id, actor=actor, action=action,
                                         version=version, payload=payload, now=now)
    return leave
