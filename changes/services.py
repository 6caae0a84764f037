"""Every write to a change. `change_transition` is the only writer of `status` (DESIGN.md rule 1);
CAB votes and the customer's answer are `approve`/`reject` transitions, so they lock the row,
check the table and write their events like any other move."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable
from datetime import datetime
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.choices import Role
from accounts.locale import human_datetime, organization_zone, reading_as
from accounts.models import Contact, Organization
from cmdb.models import CI
from incidents.choices import Impact, Urgency
from incidents.models import Incident
from incidents.services import incident_create
from opsdesk.errors import TransitionNotAllowed
from opsdesk.mail import ticket_mail_send
from opsdesk.queueing import task_queue
from problems.models import Problem
from problems.services import problem_fix_by_change
from tickets.approvals import (
    ApproverSpec,
    approval_decision_record,
    approval_open,
    approval_pending,
    approval_tally,
    approval_withdraw,
    approvals_needed,
    approver_add,
)
from tickets.audit import event_record, ticket_insert_created
from tickets.choices import ApprovalRule, ApprovalStepState, Channel, EventAction
from tickets.models import Approval, Approver
from tickets.numbering import next_number_and_id
from tickets.services import ticket_lock, ticket_touch, version_check
from tickets.transitions import (
    ACTOR_SIGNED_LINK,
    SystemActor,
    TicketKindSpec,
    TransitionContext,
    actor_kind,
    kind_register,
    transition_run,
)

from .choices import (
    ApprovalChannel,
    ApprovalState,
    CABRule,
    ChangeRisk,
    ChangeStatus,
    ChangeType,
    IncidentRelation,
    ReviewOutcome,
    VoteDecision,
)
from .conflicts import change_conflicts
from .links import LINK_LIFETIME, LinkInvalid, approval_token, approval_token_parse
from .models import (
    CAB,
    CAB_STAGE,
    CUSTOMER_STAGE,
    Change,
    ChangeIncidentLink,
    ChangeReview,
    ChangeTemplate,
    CustomerApproval,
    LegacyCustomerApproval,
)
from .risk import risk_assess
from .workflow import CHANGE_WORKFLOW, EDITABLE_STATUSES

User = get_user_model()
logger = logging.getLogger(__name__)
S = ChangeStatus
MAX_SEND_ATTEMPTS = 5
# The approval steps' due dates, in working days of the organisation's calendar: overdue approvals
# are reminded, then escalated to the change owner a working day later (tickets.approvals_sweep).
CAB_APPROVAL_WORKING_DAYS = 2
CUSTOMER_APPROVAL_WORKING_DAYS = 3
# Who may override a blocking scheduling conflict (with a reason, recorded on the change).
OVERRIDE_ROLES = frozenset({Role.MANAGER})


def _as_json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value.pk if hasattr(value, "pk") else value


def _pk_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(getattr(value, "pk", value))
    except (TypeError, ValueError):
        return None


# --- validation shared by create and update ---------------------------------------------------

def _check_relations(*, organization: Organization, contact: Contact | None, cis: Iterable[CI],
                     problems: Iterable[Problem], template: ChangeTemplate | None, assignee: Any,
                     cab: CAB | None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if contact is not None and contact.organization_id != organization.pk:
        errors["contact"] = [_("This contact belongs to another organisation.")]
    if any(ci.organization_id != organization.pk for ci in cis):
        errors["cis"] = [_("Every configuration item must belong to the change's organisation.")]
    if any(p.organization_id != organization.pk for p in problems):
        errors["problems"] = [_("Every problem must belong to the change's organisation.")]
    if template is not None and (not template.is_active or template.organization_id not in (None, organization.pk)):
        errors["template"] = [_("This standard change template is not offered for the organisation.")]
    if assignee is not None and (assignee.is_customer or not assignee.is_active):
        errors["assignee"] = [_("The change owner must be an active staff member.")]
    if cab is not None and not cab.is_active:
        errors["cab"] = [_("This CAB is not active.")]
    return errors


def _check_window(start: datetime | None, end: datetime | None) -> dict[str, list[str]]:
    if (start is None) != (end is None):
        return {"planned_end" if end is None else "planned_start": [_("Give both the start and the end.")]}
    if start is not None and end is not None and end <= start:
        return {"planned_end": [_("The end must be after the start.")]}
    return {}


@transaction.atomic
def change_create(
    *, actor: Any, organization: Organization, title: str, type: str = ChangeType.NORMAL,  # noqa: A002
    description: str = "", reason: str = "", template: ChangeTemplate | None = None,
    risk_answers: dict[str, Any] | None = None, implementation_plan: str = "", backout_plan: str = "",
    test_plan: str = "", planned_start: datetime | None = None, planned_end: datetime | None = None,
    cis: Iterable[CI] = (), problems: Iterable[Problem] = (), contact: Contact | None = None,
    assignee: Any = None, cab: CAB | None = None, channel: str = Channel.PHONE, now: datetime,
) -> Change:
    """Raise a change (status draft). A standard change copies its template's plans and risk."""
    if actor.is_customer:
        raise PermissionDenied
    cis, problems = list(cis), list(problems)
    errors: dict[str, list[str]] = {}
    if not (title or "").strip():
        errors["title"] = [_("Give the change a short title.")]
    if type not in ChangeType.values:
        errors["type"] = [_("Choose standard, normal or emergency.")]
    if type == ChangeType.STANDARD and template is None:
        errors["template"] = [_("A standard change is raised from a pre-approved template.")]
    if type != ChangeType.STANDARD and template is not None:
        errors["template"] = [_("Only standard changes use a template.")]
    errors.update(_check_window(planned_start, planned_end))
    errors.update(_check_relations(organization=organization, contact=contact, cis=cis, problems=problems,
                                   template=template, assignee=assignee, cab=cab))
    risk: str = ChangeRisk.LOW
    score = 0
    answers: dict[str, str] = {}
    if risk_answers:
        try:
            answers, score, risk = risk_assess(risk_answers)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    customer_approval_required = True
    if template is not None:
        implementation_plan = implementation_plan.strip() or template.implementation_plan
        backout_plan = backout_plan.strip() or template.backout_plan
        test_plan = test_plan.strip() or template.test_plan
        risk = template.risk
        customer_approval_required = not template.customer_preapproved
    number, pk = next_number_and_id(Change.NUMBER_PREFIX, Change)
    change = Change(
        pk=pk, number=number, title=title.strip(), description=(description or "").strip(),
        type=type, template=template, reason=(reason or "").strip(), risk=risk, risk_score=score,
        risk_answers=answers, implementation_plan=(implementation_plan or "").strip(),
        backout_plan=(backout_plan or "").strip(), test_plan=(test_plan or "").strip(),
        planned_start=planned_start, planned_end=planned_end, organization=organization, contact=contact,
        assignee=assignee or actor, requester=actor, cab=cab, channel=channel, reported_at=now, created_by=actor,
        customer_approval_required=customer_approval_required, review_required=type == ChangeType.EMERGENCY,
        status=S.DRAFT,
    )
    ticket_insert_created(ticket=change, actor=actor, now=now, public=True, data={
        "number": change.number, "title": change.title, "type": type, "risk": risk, "risk_score": score,
        "organization": organization.pk, "template": template.pk if template else None,
        "cis": sorted(ci.pk for ci in cis), "problems": sorted(p.pk for p in problems),
        "planned_start": planned_start, "planned_end": planned_end,
    })
    if cis:
        change.cis.set(cis)
    if problems:
        change.problems.set(problems)
    return change


UPDATABLE_FIELDS = ("title", "description", "reason", "implementation_plan", "backout_plan", "test_plan",
                    "planned_start", "planned_end", "contact", "assignee", "cab", "risk_answers", "cis", "problems")
M2M_FIELDS = ("cis", "problems")


@transaction.atomic
def change_update(*, change_id: int, actor: Any, version: int | None, changes: dict[str, Any],
                  now: datetime) -> Change:
    """Edit a change before it goes to approval (draft, submitted, assessed). What the CAB and the
    customer approved is frozen: afterwards only the workflow moves it."""
    if actor.is_customer:
        raise PermissionDenied
    unknown = set(changes) - set(UPDATABLE_FIELDS)
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed here.")] for name in sorted(unknown)})
    change = ticket_lock(Change, change_id)
    version_check(change, version)
    if change.status not in EDITABLE_STATUSES:
        raise ValidationError({"status": [
            _("A change can be edited only before it goes to approval (it is %(status)s).")
            % {"status": change.get_status_display()}]})
    diff: dict[str, list[Any]] = {}
    for name, value in changes.items():
        if name in M2M_FIELDS:
            old_ids = sorted(getattr(change, name).values_list("pk", flat=True))
            new_ids = sorted(v.pk for v in value)
            if old_ids != new_ids:
                diff[name] = [old_ids, new_ids]
            continue
        if name == "risk_answers":
            answers, score, risk = risk_assess(value or {})
            if answers != change.risk_answers:
                diff["risk_answers"] = [change.risk_answers, answers]
                diff["risk_score"] = [change.risk_score, score]
                change.risk_answers, change.risk_score = answers, score
                if change.template_id is None and risk != change.risk:
                    diff["risk"] = [change.risk, risk]
                    change.risk = risk
            continue
        if isinstance(value, str):
            value = value.strip()
        old = getattr(change, name)
        if _as_json(old) != _as_json(value):
            diff[name] = [_as_json(old), _as_json(value)]
            setattr(change, name, value)
    if not diff:
        return change
    errors: dict[str, list[str]] = {}
    if not change.title.strip():
        errors["title"] = [_("Give the change a short title.")]
    errors.update(_check_window(change.planned_start, change.planned_end))
    errors.update(_check_relations(
        organization=change.organization, contact=change.contact, cis=changes.get("cis", []),
        problems=changes.get("problems", []), template=None, assignee=change.assignee if "assignee" in diff else None,
        cab=change.cab if "cab" in diff else None))
    if errors:
        raise ValidationError(errors)
    for name in M2M_FIELDS:
        if name in diff:
            getattr(change, name).set(changes[name])
    fields = [f for f in diff if f not in M2M_FIELDS]
    ticket_touch(change, fields=fields)
    event_record(ticket=change, actor=actor, action=EventAction.UPDATED, now=now, data={"changes": diff})
    return change


# --- approvals -------------------------------------------------------------------------------

def cab_tally(change: Change) -> dict[str, int]:
    """Approvals, rejections and members of the open round (one aggregate query each)."""
    assert change.cab is not None
    votes = change.votes.filter(round=change.cab_round)
    return {
        "approve": votes.filter(decision=VoteDecision.APPROVE).count(),
        "reject": votes.filter(decision=VoteDecision.REJECT).count(),
        "members": change.cab.members.filter(is_active=True).count(),
    }


def _cab_approval_open(change: Change, cab: CAB, *, actor: Any, now: datetime) -> Approval:
    """The CAB's round `change.cab_round` as the kernel's approval step: internal (the customer never
    sees votes or reasons), the CAB's active members, the CAB's rule, due in working days."""
    approval_withdraw(ticket=change, now=now)
    members = list(cab.members.filter(is_active=True).order_by("pk"))
    rule = ApprovalRule.ALL if cab.rule == CABRule.ALL else ApprovalRule.QUORUM
    return approval_open(ticket=change, stage=CAB_STAGE, round=change.cab_round, internal=True, approvers=members,
                         approve_action="approve", reject_action="reject", rule=rule, quorum=cab.quorum,
                         due_working_days=CAB_APPROVAL_WORKING_DAYS, escalate_to=change.assignee, actor=actor,
                         now=now)


def cab_needed(cab: CAB, members: int) -> int:
    """Approvals that decide: every member, or the quorum (never more than there are members) —
    the approval step's rule (tickets/approvals.py)."""
    if cab.rule == CABRule.ALL:
        return members
    return approvals_needed(rule=ApprovalRule.QUORUM, quorum=cab.quorum, approvers=members)


def _default_cab(*, emergency: bool) -> CAB | None:
    return CAB.objects.filter(is_active=True, is_emergency=emergency).order_by("name", "id").first()


def _require_cab(change: Change, cab: CAB | None, *, emergency: bool) -> CAB:
    cab = cab or change.cab or _default_cab(emergency=emergency)
    if cab is None or not cab.is_active:
        raise ValidationError({"cab": [_("No active emergency CAB is defined: an administrator must create one.")
                                       if emergency else _("Choose the CAB that approves this change.")]})
    if emergency and not cab.is_emergency:
        raise ValidationError({"cab": [_("An emergency change is approved by an emergency CAB.")]})
    if not cab.members.filter(is_active=True).exists():
        raise ValidationError({"cab": [_("The CAB “%(name)s” has no active members.") % {"name": cab.name}]})
    return cab


def _customer_approval_open(change: Change, *, actor: Any, now: datetime) -> Approval:
    """The customer's approval as the kernel's approval step: the contact's e-mail address (the signed
    link, e-mailed by `customer_approval_send`) and every active portal user of the organisation; one
    answer decides; due in working days of the organisation's calendar."""
    contact = change.contact
    specs: list[ApproverSpec] = []
    if contact is not None and contact.email:
        specs.append(ApproverSpec(email=contact.email, name=contact.name))
    users = User.objects.filter(organization_id=change.organization_id, role=Role.CUSTOMER,
                                is_active=True).order_by("pk")
    specs += [ApproverSpec(user=u) for u in users]
    if not specs:
        raise ValidationError({"contact": [_("The customer must approve this change: name a contact with an e-mail "
                                             "address (the organisation has no portal users).")]})
    approval_withdraw(ticket=change, now=now)
    approval = approval_open(ticket=change, stage=CUSTOMER_STAGE, approvers=specs, approve_action="approve",
                             reject_action="reject", quorum=1, due_working_days=CUSTOMER_APPROVAL_WORKING_DAYS,
                             escalate_to=change.assignee, actor=actor, now=now, send_links=False)
    if contact is not None and contact.email:
        transaction.on_commit(partial(_queue_send, approval.pk), robust=True)
    return approval


def _queue_send(approval_id: int) -> None:
    task_queue("changes.customer_approval_send_task", approval_id)


def _after_cab(change: Change, *, actor: Any, now: datetime) -> str:
    """Where a change goes once every approval before the customer's is given."""
    if change.customer_approval_required:
        _customer_approval_open(change, actor=actor, now=now)
        return S.CUSTOMER_APPROVAL
    return S.APPROVED


def _check_ready_to_submit(change: Change) -> None:
    errors: dict[str, list[str]] = {}
    if change.type != ChangeType.STANDARD:
        for name, message in (("reason", _("Say why the change is needed.")),
                              ("implementation_plan", _("Describe how the change is carried out.")),
                              ("backout_plan", _("Describe how the change is backed out if it goes wrong.")),):
            if not getattr(change, name).strip():
                errors[name] = [message]
        if not change.risk_answers:
            errors["risk_answers"] = [_("Answer the risk questions.")]
    if change.planned_start is None or change.planned_end is None:
        errors["planned_start"] = [_("Plan the window in which the change is carried out.")]
    if not change.cis.exists():
        errors["cis"] = [_("Name the configuration items the change touches.")]
    if change.customer_approval_required:
        has_portal_user = User.objects.filter(
            organization_id=change.organization_id, role=Role.CUSTOMER, is_active=True).exists()
        if not has_portal_user and not (change.contact and change.contact.email):
            errors["contact"] = [_("The customer must approve this change: name a contact with an e-mail address "
                                   "(the organisation has no portal users).")]
    if errors:
        raise ValidationError(errors)


# --- the one writer of status ----------------------------------------------------------------

def _change_effects(ctx: TransitionContext) -> None:
    """What each action checks, stamps and records on a change; routes it by type and decision."""
    change, action, payload, now, stamp, actor = ctx.ticket, ctx.action, ctx.payload, ctx.now, ctx.stamp, ctx.actor
    reason, data = ctx.reason, ctx.data
    if action == "submit":
        _check_ready_to_submit(change)
        stamp("submitted_at", now)
        if change.type == ChangeType.EMERGENCY:
            cab = _require_cab(change, None, emergency=True)
            stamp("cab", cab)
            stamp("cab_round", change.cab_round + 1)
            _cab_approval_open(change, cab, actor=actor, now=now)
            ctx.target = S.CAB_APPROVAL
        elif change.type == ChangeType.STANDARD:
            ctx.target = _after_cab(change, actor=actor, now=now)
    elif action == "assess":
        cab = None
        if payload.get("cab") not in (None, ""):
            cab_pk = _pk_or_none(payload["cab"])
            cab = (CAB.objects.filter(pk=cab_pk, is_active=True, is_emergency=False).first()
                   if cab_pk is not None and 0 < cab_pk < 2**63 else None)
            if cab is None:
                raise ValidationError({"cab": [_("No active CAB with this id.")]})
        stamp("cab", _require_cab(change, cab, emergency=False))
        risk = str(payload.get("risk") or "")
        if risk:
            if risk not in ChangeRisk.values:
                raise ValidationError({"risk": [_("Choose low, medium or high.")]})
            if risk != change.risk:
                if not reason:
                    raise ValidationError({"reason": [_("Say why the risk differs from the questionnaire's.")]})
                stamp("risk", risk)
        stamp("assessed_at", now)
    elif action == "request_approval":
        cab = _require_cab(change, None, emergency=False)
        stamp("cab_round", change.cab_round + 1)
        _cab_approval_open(change, cab, actor=actor, now=now)
    elif action in ("approve", "reject") and ctx.old_status == S.CAB_APPROVAL:
        _cab_vote(ctx)
    elif action in ("approve", "reject"):
        _customer_answer(ctx)
    elif action == "schedule":
        _schedule_checks(change, actor=actor, payload=payload, now=now, stamp=stamp, data=data)
        stamp("scheduled_at", now)
    elif action == "implement":
        stamp("actual_start", now)
    elif action == "complete":
        stamp("implemented_at", now)
        note = str(payload.get("note") or reason or "").strip()
        if note:
            stamp("outcome_note", note)
    elif action == "fail":
        stamp("failed_at", now)
        stamp("outcome_note", reason)
    elif action == "back_out":
        stamp("backed_out_at", now)
        stamp("outcome_note", "\n".join(p for p in (change.outcome_note, reason) if p))
    elif action == "review":
        _review_record(change, actor=actor, payload=payload, now=now, data=data)
    elif action == "close":
        stamp("closed_at", now)
        _fix_problems(change, actor=actor, now=now, data=data)
    elif action == "rework":
        stamp("rejected_at", None)
        stamp("reject_reason", "")
        stamp("cab_approved_at", None)
        stamp("customer_approved_at", None)
    elif action == "cancel":
        stamp("cancel_reason", reason)
        stamp("cancelled_at", now)
        stamp("closed_at", now)
        approval_withdraw(ticket=change, now=now)


def _decision_of(ctx: TransitionContext, *, stage: str) -> tuple[Approval, Approver, bool]:
    """The approval and the approver a decision is recorded on, locked; True when the approval step
    already recorded it (a decision through `tickets.approvals.approval_decide` drives this action)."""
    change, actor = ctx.ticket, ctx.actor
    approver: Approver | None = ctx.options.get("approver")
    approval: Approval | None = ctx.options.get("approval")
    if approver is not None and approval is not None and approver.decision:
        return approval, approver, True
    if approval is None:
        approval = approval_pending(ticket=change, stage=stage)
    if approval is None:  # e.g. a change put in this status by hand in the database: ask now
        approval = (_cab_approval_open(change, change.cab, actor=actor, now=ctx.now)
                    if stage == CAB_STAGE and change.cab is not None
                    else _customer_approval_open(change, actor=actor, now=ctx.now))
    approval = Approval.objects.select_for_update().get(pk=approval.pk)
    if approver is None:
        approver = (Approver.objects.select_for_update().filter(approval=approval, user_id=actor.pk).first()
                    or approver_add(approval=approval, user=actor))
    else:
        approver = Approver.objects.select_for_update().get(pk=approver.pk)
    return approval, approver, False


def _cab_vote(ctx: TransitionContext) -> None:
    """A CAB member's vote, an approver's decision on the round's approval step: recorded; the change
    moves on once the CAB's rule is met. Internal: the customer sees only the resulting status."""
    change, actor, now = ctx.ticket, ctx.actor, ctx.now
    decision: str = VoteDecision.APPROVE if ctx.action == "approve" else VoteDecision.REJECT
    comment = str(ctx.payload.get("comment") or ctx.reason or "").strip()
    approval, approver, recorded = _decision_of(ctx, stage=CAB_STAGE)
    if recorded:
        tally = approval_tally(approval)
        decision, comment = approver.decision, approver.comment
    else:
        channel = ctx.options.get("channel", ApprovalChannel.PORTAL)
        tally = approval_decision_record(
            ticket=change, approval=approval, approver=approver, actor=actor, decision=decision, comment=comment,
            via=channel if channel in ApprovalChannel.values else ApprovalChannel.PORTAL, name="", now=now,
            event_action=EventAction.VOTED,
            event_data={"vote": approver.pk, "round": change.cab_round, "cab": change.cab_id})
    ctx.data["round"] = change.cab_round
    if decision == VoteDecision.REJECT:
        ctx.public = False  # the CAB's reasons are internal; the customer sees the resulting status
        ctx.stamp("rejected_at", now)
        ctx.stamp("reject_reason", comment)
        return
    if tally.outcome == ApprovalStepState.APPROVED:
        ctx.stamp("cab_approved_at", now)
        ctx.data["tally"] = cab_tally(change)
        ctx.target = _after_cab(change, actor=actor, now=now)
    else:
        ctx.record = False  # the vote is recorded; the CAB has not decided yet


def _customer_answer(ctx: TransitionContext) -> None:
    """The customer's answer, an approver's decision on the `customer` approval step: from the portal
    / API (a customer user of the organisation) or through the signed link (a `signed_link` actor;
    `options["approver"]` is the link's row)."""
    change, actor, now = ctx.ticket, ctx.actor, ctx.now
    by_link = actor_kind(actor) == ACTOR_SIGNED_LINK
    comment = str(ctx.payload.get("comment") or ctx.reason or "").strip()
    approval, approver, recorded = _decision_of(ctx, stage=CUSTOMER_STAGE)
    if not recorded:
        channel = ctx.options.get("channel", ApprovalChannel.PORTAL)
        via = ApprovalChannel.LINK if by_link else (
            channel if channel in ApprovalChannel.values else ApprovalChannel.PORTAL)
        approval_decision_record(
            ticket=change, approval=approval, approver=approver, actor=actor,
            decision=VoteDecision.APPROVE if ctx.action == "approve" else VoteDecision.REJECT, comment=comment,
            via=via, name=actor.display_name, now=now,
            event_action=EventAction.APPROVED if ctx.action == "approve" else EventAction.REJECTED,
            event_data={"customer_approval": approval.pk, "channel": via})
    comment = approver.comment
    if approver.decided_via == ApprovalChannel.LINK:
        ctx.data.update(channel=ApprovalChannel.LINK, by=approver.decided_by_name)
    if approver.decision == VoteDecision.APPROVE:
        ctx.stamp("customer_approved_at", now)
        ctx.target = S.APPROVED
    else:
        ctx.target = S.REJECTED
        ctx.stamp("rejected_at", now)
        ctx.stamp("reject_reason", comment)


def _change_after(ctx: TransitionContext) -> None:
    if ctx.action == "fail" and str(ctx.payload.get("open_incident") or "").lower() in ("1", "true", "on", "yes"):
        change_incident_open(change_id=ctx.ticket.pk, actor=ctx.actor, now=ctx.now, title="", description=ctx.reason)


CHANGE_KIND = kind_register(TicketKindSpec(model=Change, workflow=CHANGE_WORKFLOW, effects=_change_effects,
                                           after=_change_after, url_name="changes:detail"))


@transaction.atomic
def change_transition(*, change_id: int, actor: Any, action: str, version: int | None = None,
                      payload: dict[str, Any] | None = None, now: datetime,
                      channel: str = ApprovalChannel.PORTAL) -> Change:
    """Move a change through its table (the transition engine writes the status). `channel` says
    how a customer's answer came in."""
    change: Change = transition_run(spec=CHANGE_KIND, ticket_id=change_id, actor=actor, action=action,
                                    version=version, payload=payload, now=now, options={"channel": channel})
    return change


def _schedule_checks(change: Change, *, actor: Any, payload: dict[str, Any], now: datetime, stamp: Any,
                     data: dict[str, Any]) -> None:
    if change.planned_start is None or change.planned_end is None:
        raise ValidationError({"planned_start": [_("The change has no planned window.")]})
    if change.planned_end <= now:
        raise ValidationError({"planned_start": [
            _("The planned window has already passed. Cancel this change and raise it again with a new window "
              "(the customer approved this one).")]})
    conflicts = change_conflicts(change=change, start=change.planned_start, end=change.planned_end)
    blocking = [c for c in conflicts if c.blocking]
    data["conflicts"] = [{"kind": c.kind, "message": c.message, "blocking": c.blocking} for c in conflicts]
    if blocking:
        override = str(payload.get("override_reason") or "").strip()
        may_override = actor.is_superuser or actor.role in OVERRIDE_ROLES
        if not override or not may_override:
            hint = (_("A project manager may override this with a reason.") if not may_override
                    else _("Give an override reason to schedule it anyway."))
            raise TransitionNotAllowed(
                _("The change cannot be scheduled in this window: %(conflicts)s %(hint)s")
                % {"conflicts": " ".join(c.message for c in blocking), "hint": hint},
                allowed=[t.action for t in CHANGE_WORKFLOW.allowed(change, actor)],
            )
        stamp("conflict_override_reason", override)
        stamp("conflict_override_by", actor)


def _review_record(change: Change, *, actor: Any, payload: dict[str, Any], now: datetime,
                   data: dict[str, Any]) -> None:
    outcome = str(payload.get("outcome") or "")
    if outcome not in ReviewOutcome.values:
        raise ValidationError({"outcome": [_("Choose the outcome of the change.")]})
    if change.status != S.IMPLEMENTED and outcome == ReviewOutcome.SUCCESSFUL:
        raise ValidationError({"outcome": [_("A failed or backed-out change cannot be reviewed as successful.")]})
    objectives = payload.get("objectives_met", outcome == ReviewOutcome.SUCCESSFUL)
    review, _created = ChangeReview.objects.update_or_create(change=change, defaults={
        "outcome": outcome, "objectives_met": str(objectives).lower() in ("1", "true", "on", "yes"),
        "notes": str(payload.get("notes") or "").strip(), "lessons": str(payload.get("lessons") or "").strip(),
        "reviewer": actor, "reviewed_at": now,
    })
    event_record(ticket=change, actor=actor, action=EventAction.REVIEWED, now=now, data={
        "review": review.pk, "outcome": outcome, "objectives_met": review.objectives_met, "notes": review.notes,
        "lessons": review.lessons, "post_hoc": change.review_required,
    })
    data["outcome"] = outcome


def _fix_problems(change: Change, *, actor: Any, now: datetime, data: dict[str, Any]) -> None:
    """A change closed after a successful implementation and review fixes its problems."""
    review = ChangeReview.objects.filter(change=change).first()
    if change.implemented_at is None or review is None or review.outcome != ReviewOutcome.SUCCESSFUL:
        return
    problems = list(change.problems.all())
    if not problems:
        return
    for problem in problems:
        problem_fix_by_change(problem=problem, change_number=change.number, actor=actor, now=now)
    data["problems_fixed"] = [p.pk for p in problems]


# --- customer approval by signed link ----------------------------------------------------------

def customer_approval_from_token(*, token: str, now: datetime) -> CustomerApproval:
    """The pending approval a link names, or LinkInvalid("invalid" | "expired" | "used"). A link
    signs (approval id, nonce of its link row); links e-mailed before the approvals moved onto the
    approval step sign the old row's id, found through `LegacyCustomerApproval.migrated_to`."""
    pk, nonce = approval_token_parse(token)
    approval = CustomerApproval.objects.filter(pk=pk).prefetch_related("approvers").first()
    row = approval.link_approver if approval is not None else None
    if row is None or row.nonce != nonce:
        legacy = LegacyCustomerApproval.objects.filter(pk=pk, nonce=nonce, migrated_to__isnull=False).first()
        approval = (CustomerApproval.objects.filter(pk=legacy.migrated_to_id).prefetch_related("approvers").first()
                    if legacy is not None else None)
        row = approval.link_approver if approval is not None else None
        if row is None or row.nonce != nonce:
            raise LinkInvalid("invalid")
    assert approval is not None
    if row.used_at is not None or row.decision or approval.state != ApprovalState.PENDING:
        raise LinkInvalid("used")
    if approval.expires_at <= now:
        raise LinkInvalid("expired")
    return approval


@transaction.atomic
def customer_approval_by_link(*, token: str, approve: bool, comment: str, name: str, now: datetime) -> Change:
    """The contact's answer through the e-mailed link, a `signed_link` transition through the engine.
    Recorded as the contact (no login): the link's approver row says who and how; the event's actor
    is the contact's portal user if it has one."""
    found = customer_approval_from_token(token=token, now=now)
    change = ticket_lock(Change, found.ticket_id)
    approval = Approval.objects.select_for_update().get(pk=found.pk)
    row = found.link_approver
    assert row is not None
    row = Approver.objects.select_for_update().get(pk=row.pk)
    if row.used_at is not None or row.decision or approval.state != ApprovalState.PENDING:
        raise LinkInvalid("used")
    if change.status != S.CUSTOMER_APPROVAL:
        raise LinkInvalid("used")
    comment = (comment or "").strip()
    if not approve and not comment:
        raise ValidationError({"comment": [_("Say why you reject the change.")]})
    contact = change.contact
    who = (name or "").strip() or (contact.name if contact else "") or row.email
    actor = SystemActor(actor_kind=ACTOR_SIGNED_LINK, user=contact.user if contact and contact.user_id else None,
                        name=who[:150])
    payload = {"comment": comment, "reason": comment} if not approve else {"comment": comment}
    answered: Change = transition_run(
        spec=CHANGE_KIND, ticket_id=change.pk, actor=actor, action="approve" if approve else "reject",
        payload=payload, now=now, options={"channel": ApprovalChannel.LINK, "approval": approval, "approver": row})
    return answered


def customer_approval_link(approval: CustomerApproval) -> str:
    return settings.SITE_URL + reverse("links:change-approval", args=[
        approval_token(pk=approval.pk, nonce=approval.nonce)])


def _customer_approval_mail(approval: CustomerApproval, change: Change) -> tuple[str, str]:
    """Subject and body in the customer's language (zh-hans: contacts have no account language) and
    the organisation's time zone, with human dates."""
    with reading_as(time_zone=organization_zone(change.organization)):
        subject = _("Please approve change %(number)s: %(title)s") % {"number": change.number, "title": change.title}
        window = (f"{human_datetime(change.planned_start)} – {human_datetime(change.planned_end)}"
                  if change.planned_start and change.planned_end else "–")
        body = _("We plan the change %(number)s “%(title)s” on your systems.\n\nWhy: %(reason)s\nWhen: %(window)s\n"
                 "Risk: %(risk)s\nBack-out plan: %(backout)s\n\nPlease approve or reject it here (no login needed):\n"
                 "%(link)s\n\nThe link works once and expires on %(expires)s. You can also decide in the portal.") % {
            "number": change.number, "title": change.title, "reason": change.reason or "–", "window": window,
            "risk": change.get_risk_display(), "backout": change.backout_plan or "–",
            "link": customer_approval_link(approval), "expires": human_datetime(approval.expires_at)}
    return subject, body


# How many times the approval e-mail is tried (once per sweep) before it is marked failed; an error that
# retrying cannot fix (a refused address, an unencodable header) fails it at once.
APPROVAL_MAIL_MAX_ATTEMPTS = 5
PERMANENT_MAIL_ERRORS = (ValueError, smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused)


def _mail_error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:1000]


@transaction.atomic
def customer_approval_send(*, approval_id: int, now: datetime) -> bool:
    """E-mail the approval link to the contact (the link's approver row). Safe to run twice: the row
    lock and `emailed_at` say it went. A failed try is counted with its reason on that row; after
    APPROVAL_MAIL_MAX_ATTEMPTS tries (or at once, for an error a retry cannot fix) the e-mail is
    marked failed and the sweep leaves it to staff."""
    approval = CustomerApproval.objects.filter(pk=approval_id).first()
    row = approval.link_approver if approval is not None else None
    if approval is None or row is None or approval.state != ApprovalState.PENDING or approval.expires_at <= now:
        return False
    row = Approver.objects.select_for_update().get(pk=row.pk)
    if row.emailed_at or row.email_failed_at or row.decision or not row.email:
        return False
    change = approval.change
    subject, body = _customer_approval_mail(approval, change)
    row.email_attempts += 1
    try:
        ticket_mail_send(subject, body, [row.email], number=change.number)
    except (OSError, smtplib.SMTPException, ValueError) as exc:
        row.email_error = _mail_error_text(exc)
        if isinstance(exc, PERMANENT_MAIL_ERRORS) or row.email_attempts >= APPROVAL_MAIL_MAX_ATTEMPTS:
            row.email_failed_at = now
        logger.warning("Customer approval %s: e-mail attempt %s failed: %s", approval.pk, row.email_attempts,
                       row.email_error)
        row.save(update_fields=["email_attempts", "email_error", "email_failed_at"])
        return False
    row.emailed_at = now
    row.email_error = ""
    row.save(update_fields=["emailed_at", "email_attempts", "email_error"])
    return True


def customer_approvals_send_due(*, now: datetime, batch: int = 200) -> int:
    """Queue the approval e-mails that have not gone yet (a lost on-commit task, an SMTP outage):
    the database says what is due, so running it twice sends nothing twice. Failed ones are left to
    staff (customer_approval_mail_retry)."""
    due = list(Approver.objects.filter(
        approval__ticket_kind=Change.KIND, approval__stage=CUSTOMER_STAGE, approval__state=ApprovalState.PENDING,
        approval__created_at__gt=now - LINK_LIFETIME, user__isnull=True, emailed_at__isnull=True,
        email_failed_at__isnull=True, decision="")
        .exclude(email="").order_by("approval_id").values_list("approval_id", flat=True).distinct()[:batch])
    for pk in due:
        try:
            customer_approval_send(approval_id=pk, now=now)
        except Exception as exc:  # one broken approval must not stop the others: it is marked failed, with why
            logger.exception("Customer approval %s could not be e-mailed", pk)
            Approver.objects.filter(approval_id=pk, user__isnull=True, emailed_at__isnull=True).exclude(
                email="").update(email_failed_at=now, email_error=_mail_error_text(exc))
    return len(due)


@transaction.atomic
def customer_approval_mail_retry(*, approval_id: int, actor: Any, now: datetime) -> CustomerApproval:
    """Staff send a failed approval e-mail again (after fixing the contact's address, or the mail server):
    the attempts start over, to the contact's current address, and the change's history records it."""
    if not getattr(actor, "is_staff_member", False) and not getattr(actor, "is_superuser", False):
        raise PermissionDenied
    approval = CustomerApproval.objects.filter(pk=approval_id).first()
    if approval is None or approval.link_approver is None:
        raise ValidationError({"approval": [_("No such approval request.")]})
    if approval.state != ApprovalState.PENDING or approval.expires_at <= now:
        raise ValidationError({"approval": [_("This approval request is no longer open.")]})
    if approval.email_failed_at is None:
        raise ValidationError({"approval": [_("This approval e-mail has not failed.")]})
    change = ticket_lock(Change, approval.change_id)
    row = Approver.objects.select_for_update().get(pk=approval.link_approver.pk)
    if row.email_failed_at is None or row.emailed_at is not None:
        raise ValidationError({"approval": [_("This approval e-mail has not failed.")]})
    address = (change.contact.email if change.contact else "") or row.email
    if not address:
        raise ValidationError({"approval": [_("The change's contact has no e-mail address.")]})
    row.email, row.email_attempts, row.email_error, row.email_failed_at = address, 0, "", None
    row.save(update_fields=["email", "email_attempts", "email_error", "email_failed_at"])
    approval.refresh_from_db()
    event_record(ticket=change, actor=actor, action=EventAction.NOTIFIED, now=now,
                 data={"customer_approval": approval.pk, "approval_mail": "retry", "email": address})
    transaction.on_commit(partial(_queue_send, approval.pk), robust=True)
    return approval


# --- incidents --------------------------------------------------------------------------------

@transaction.atomic
def change_incident_link(*, change_id: int, incident: Incident, actor: Any, now: datetime,
                         relation: str = IncidentRelation.CAUSED_BY, note: str = "") -> ChangeIncidentLink:
    """Record that an incident was caused by the change (on both tickets' histories)."""
    if actor.is_customer:
        raise PermissionDenied
    change = ticket_lock(Change, change_id)
    if relation not in IncidentRelation.values:
        raise ValidationError({"relation": [_("Unknown relation.")]})
    if incident.organization_id != change.organization_id:
        raise ValidationError({"incident": [_("The incident belongs to another organisation.")]})
    if ChangeIncidentLink.objects.filter(change=change, incident=incident).exists():
        raise ValidationError({"incident": [_("%(number)s is already linked.") % {"number": incident.number}]})
    link = ChangeIncidentLink.objects.create(change=change, incident=incident, relation=relation,
                                             note=(note or "").strip(), created_by=actor, created_at=now)
    event_record(ticket=change, actor=actor, action=EventAction.LINKED, now=now, data={
        "incident": incident.pk, "number": incident.number, "relation": relation, "note": link.note})
    locked = ticket_lock(Incident, incident.pk)
    event_record(ticket=locked, actor=actor, action=EventAction.LINKED, now=now, data={
        "change": change.pk, "number": change.number, "relation": relation})
    return link


RISK_IMPACT: dict[str, str] = {ChangeRisk.HIGH: Impact.HIGH, ChangeRisk.MEDIUM: Impact.MEDIUM, ChangeRisk.LOW: Impact.LOW}


@transaction.atomic
def change_incident_open(*, change_id: int, actor: Any, now: datetime, title: str = "", description: str = "",
                         impact: str | None = None, urgency: str = Urgency.HIGH) -> Incident:
    """A failed (or backed-out) change opens an incident on its first CI, linked to the change."""
    change = Change.objects.select_related("organization", "contact").get(pk=change_id)
    if change.status not in (S.FAILED, S.BACKED_OUT):
        raise ValidationError({"status": [_("Only a failed or backed-out change opens an incident.")]})
    ci = change.cis.order_by("pk").first()
    incident = incident_create(
        actor=actor, organization=change.organization, contact=change.contact, ci=ci, channel=Channel.PHONE,
        title=(title or "").strip() or _("Change %(number)s failed: %(title)s") % {
            "number": change.number, "title": change.title},
        description=(description or "").strip() or change.outcome_note,
        impact=impact or RISK_IMPACT.get(change.risk, Impact.MEDIUM), urgency=urgency, now=now,
    )
    change_incident_link(change_id=change.pk, incident=incident, actor=actor, now=now,
                         relation=IncidentRelation.OPENED_ON_FAILURE)
    return incident
