"""The one approval step: an approval request on a ticket of any kind (issue #18).

A kind asks for an approval with `approval_open` — approvers (users, or e-mail addresses that get a
signed single-use link), order (parallel or sequential), rule (quorum N or all), due in N working
days of the organisation's work calendar — and names the two actions of its workflow table that
the outcome takes (`approve_action`, `reject_action`). Each decision is recorded on the ticket's
hash chain; the decision that settles the step drives the ticket's transition through the engine
(tickets/transitions.py), as the deciding user or, for a link, as a `signed_link` actor. Overdue
approvals are reminded, then escalated, by an idempotent beat sweep (`approvals_sweep`).

A kind's workflow table guards the two actions with `approval_step_decides`, so only a settled
approval takes them (and names `actors=frozenset({"signed_link"})` when approvers may answer by
link); `is_pending_approver` says whom to show the decision form.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.locale import human_datetime, organization_zone, reading_as
from opsdesk.mail import ticket_mail_send
from opsdesk.signals import approval_notice

from .audit import event_record
from .choices import ApprovalDecision, ApprovalOrder, ApprovalRule, ApprovalStepState, ApprovalVia, EventAction
from .locking import ticket_lock, ticket_touch
from .models import Approval, Approver, TicketBase
from .sla_config import policy_for
from .transitions import ACTOR_SIGNED_LINK, SystemActor, actor_kind, actor_user, kind_spec, transition_run

logger = logging.getLogger(__name__)
LINK_SALT = "opsdesk.tickets.approval-link"
LINK_MAX_AGE = timedelta(days=60)
ESCALATE_AFTER_WORKING_DAYS = 1


class ApprovalLinkInvalid(Exception):
    """A signed approval link that cannot be used; `reason` is "invalid", "expired" or "used"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ApproverSpec:
    """Who is asked: a user, and/or an e-mail address (for the signed link), with a display name."""

    user: Any = None
    email: str = ""
    name: str = ""


@dataclass
class Tally:
    approvals: int
    rejections: int
    approvers: int
    needed: int
    undecided: list[int] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        """approved, rejected or pending. One rejection rejects (as a CAB's does); approved once
        `needed` approvals are in."""
        if self.rejections:
            return ApprovalStepState.REJECTED
        if self.approvals >= self.needed:
            return ApprovalStepState.APPROVED
        return ApprovalStepState.PENDING


def approvals_needed(*, rule: str, quorum: int, approvers: int) -> int:
    """Every approver, or the quorum (never more than there are approvers, never fewer than one)."""
    if rule == ApprovalRule.ALL:
        return max(1, approvers)
    return max(1, min(quorum, approvers))


def approval_tally(approval: Approval) -> Tally:
    rows = list(approval.approvers.order_by("position", "id").values_list("pk", "decision"))
    return Tally(
        approvals=sum(1 for _pk, d in rows if d == ApprovalDecision.APPROVE),
        rejections=sum(1 for _pk, d in rows if d == ApprovalDecision.REJECT),
        approvers=len(rows),
        needed=approvals_needed(rule=approval.rule, quorum=approval.quorum, approvers=len(rows)),
        undecided=[pk for pk, d in rows if not d],
    )


def approval_pending(*, ticket: TicketBase, stage: str | None = None) -> Approval | None:
    qs = Approval.objects.filter(ticket_kind=ticket.KIND, ticket_id=ticket.pk, state=ApprovalStepState.PENDING)
    if stage is not None:
        qs = qs.filter(stage=stage)
    return qs.order_by("-created_at", "-id").first()


def _turn(approval: Approval) -> Approver | None:
    """Whose turn it is in a sequential approval (the first undecided), None when parallel."""
    if approval.order != ApprovalOrder.SEQUENTIAL:
        return None
    return approval.approvers.filter(decision="").order_by("position", "id").first()


# The ticket whose transition a settled approval is driving right now: (kind, id).
_DRIVING: ContextVar[tuple[str, int] | None] = ContextVar("approval_driving", default=None)


@contextmanager
def _driving(kind: str, ticket_id: int) -> Iterator[None]:
    token = _DRIVING.set((kind, ticket_id))
    try:
        yield
    finally:
        _DRIVING.reset(token)


def approval_step_decides(ticket: Any, user: Any) -> bool:
    """Workflow guard for the actions an approval's outcome takes: only the approval step takes
    them (so the table cannot be used to skip the approvers)."""
    return _DRIVING.get() == (ticket.KIND, ticket.pk)


def is_pending_approver(ticket: Any, user: Any) -> bool:
    """`user` may decide the ticket's pending approval now (for showing the decision form)."""
    if actor_kind(user) != "user" or not getattr(user, "pk", None):
        return False
    approval = approval_pending(ticket=ticket)
    if approval is None:
        return False
    mine = approval.approvers.filter(user_id=user.pk, decision="").first()
    if mine is None:
        return False
    turn = _turn(approval)
    return turn is None or turn.pk == mine.pk


def approval_token(approver: Approver) -> str:
    return signing.TimestampSigner(salt=LINK_SALT).sign_object([approver.pk, approver.nonce])


def approval_token_parse(token: str) -> tuple[int, str]:
    try:
        value = signing.TimestampSigner(salt=LINK_SALT).unsign_object(token, max_age=LINK_MAX_AGE)
    except signing.SignatureExpired:
        raise ApprovalLinkInvalid("expired") from None
    except (signing.BadSignature, ValueError, TypeError, UnicodeDecodeError):
        raise ApprovalLinkInvalid("invalid") from None
    if (not isinstance(value, list) or len(value) != 2 or not isinstance(value[0], int)
            or isinstance(value[0], bool) or not isinstance(value[1], str)):
        raise ApprovalLinkInvalid("invalid")
    return value[0], value[1]


def approval_due(*, organization_id: int | None, start: datetime, working_days: int) -> datetime:
    """`working_days` full working days after `start` on the organisation's work calendar."""
    calendar = policy_for(organization_id=organization_id, now=start).calendar
    return calendar.add_days(start, working_days)


def approval_open(
    *, ticket: TicketBase, stage: str, approvers: Sequence[ApproverSpec | Any], approve_action: str,
    reject_action: str = "", rule: str = ApprovalRule.QUORUM, quorum: int = 1,
    order: str = ApprovalOrder.PARALLEL, due_working_days: int | None = None, escalate_to: Any = None,
    actor: Any, now: datetime, round: int = 1, internal: bool = False,  # noqa: A002
    send_links: bool = True,
) -> Approval:
    """Ask for an approval on `ticket`, whose row lock the caller holds (inside the transition that
    sends the ticket to approval, or after `ticket_lock`). Approvers are users or `ApproverSpec`s.

    `round`: the how-manyth time this stage is asked (a ticket sent back decides afresh);
    `internal`: decisions and reasons are staff-only (not on the customer's timeline, e.g. a CAB);
    `send_links=False`: the kind e-mails its own link (e.g. the change's approval mail)."""
    specs = [a if isinstance(a, ApproverSpec) else ApproverSpec(user=a) for a in approvers]
    errors: dict[str, list[str]] = {}
    if not specs:
        errors["approvers"] = [_("Name at least one approver.")]
    if any(s.user is None and not s.email for s in specs):
        errors["approvers"] = [_("Every approver needs a user account or an e-mail address.")]
    if rule not in ApprovalRule.values:
        errors["rule"] = [_("Choose quorum or all.")]
    if order not in ApprovalOrder.values:
        errors["order"] = [_("Choose parallel or sequential.")]
    if quorum < 1:
        errors["quorum"] = [_("At least one approval is needed.")]
    if errors:
        raise ValidationError(errors)
    due_at = escalate_at = None
    if due_working_days is not None:
        due_at = approval_due(organization_id=ticket.organization_id, start=now, working_days=due_working_days)
        escalate_at = approval_due(organization_id=ticket.organization_id, start=due_at,
                                   working_days=ESCALATE_AFTER_WORKING_DAYS)
    approval = Approval.objects.create(
        ticket_kind=ticket.KIND, ticket_id=ticket.pk, stage=stage, order=order, rule=rule, quorum=quorum,
        approve_action=approve_action, reject_action=reject_action, created_at=now,
        created_by=actor_user(actor), due_at=due_at, escalate_at=escalate_at,
        escalate_to=escalate_to, round=round, internal=internal,
    )
    rows = Approver.objects.bulk_create([
        Approver(approval=approval, position=i, user=s.user,
                 email=s.email or (getattr(s.user, "email", "") or ""),
                 name=s.name or (getattr(s.user, "display_name", "") if s.user is not None else ""))
        for i, s in enumerate(specs)
    ])
    event_record(ticket=ticket, actor=actor_user(actor), action=EventAction.APPROVAL_REQUESTED, now=now, data={
                     "approval": approval.pk, "stage": stage, "rule": rule, "quorum": quorum, "order": order,
                     "approvers": [r.user_id or r.email for r in rows], "due_at": due_at, "round": round})
    first = rows[:1] if order == ApprovalOrder.SEQUENTIAL else rows
    for row in first if send_links else ():
        if row.user_id is None and row.email:
            transaction.on_commit(partial(approver_link_send, approver_id=row.pk, now=now), robust=True)
    return approval


def approver_link(approver: Approver) -> str:
    from django.urls import reverse

    # The page is served by the portal (portal/views_approvals.py), mounted by the URL config.
    return settings.SITE_URL + reverse("links:approval", args=[approval_token(approver)])


@transaction.atomic
def approver_link_send(*, approver_id: int, now: datetime) -> bool:
    """E-mail an approver their single-use link. Safe to run twice (`emailed_at`)."""
    approver = Approver.objects.select_for_update().select_related("approval").filter(pk=approver_id).first()
    if (approver is None or approver.emailed_at or approver.decision or not approver.email
            or approver.approval.state != ApprovalStepState.PENDING):
        return False
    with reading_as(user=approver.user):  # the approver's language (zh-hans for an e-mail address alone)
        subject = _("Your approval is requested")
        body = _("Please approve or reject here (no login needed):\n%(link)s\n\nThe link works once.") % {
            "link": approver_link(approver)}
    number = str(kind_spec(approver.approval.ticket_kind).model.objects.filter(
        pk=approver.approval.ticket_id).values_list("number", flat=True).first() or "")
    try:
        ticket_mail_send(subject, body, [approver.email], number=number)
    except (OSError, smtplib.SMTPException):
        return False
    approver.emailed_at = now
    approver.save(update_fields=["emailed_at"])
    return True


def approver_add(*, approval: Approval, user: Any, name: str = "") -> Approver:
    """Add a user to a pending approval's approvers (or return their row): e.g. a CAB member who
    joined after the round opened, or a portal user created after the customer was asked. The
    caller holds the ticket's row lock."""
    existing = Approver.objects.filter(approval=approval, user_id=user.pk).first()
    if existing is not None:
        return existing
    last = approval.approvers.order_by("-position").values_list("position", flat=True).first()
    return Approver.objects.create(approval=approval, user=user, position=(last or 0) + 1,
                                   email=getattr(user, "email", "") or "",
                                   name=name or getattr(user, "display_name", "") or "")


def approval_decision_record(
    *, ticket: TicketBase, approval: Approval, approver: Approver, actor: Any, decision: str, comment: str,
    via: str, name: str, now: datetime, event_action: str = EventAction.APPROVAL_DECIDED,
    event_data: dict[str, Any] | None = None,
) -> Tally:
    """Record one approver's decision and settle the approval when the rule is met (its `state`),
    without moving the ticket: for a kind whose own transition carries the decision (a CAB vote is
    the change's `approve` action). The caller holds the locks of the ticket, the approval and the
    approver; the returned tally's `outcome` says where the ticket goes."""
    if decision not in ApprovalDecision.values:
        raise ValidationError({"decision": [_("Choose approve or reject.")]})
    comment = (comment or "").strip()
    if decision == ApprovalDecision.REJECT and not comment:
        raise ValidationError({"comment": [_("Say why you reject it.")]})
    approver.decision, approver.decided_at, approver.comment = decision, now, comment
    approver.decided_via = via if via in ApprovalVia.values else ApprovalVia.PORTAL
    approver.decided_by_name = (name or approver.name or getattr(actor, "display_name", ""))[:150]
    fields = ["decision", "decided_at", "comment", "decided_via", "decided_by_name"]
    if via == ApprovalVia.LINK:
        approver.used_at = now
        fields.append("used_at")
    approver.save(update_fields=fields)
    tally = approval_tally(approval)
    event_record(ticket=ticket, actor=actor_user(actor), action=event_action, now=now, public=not approval.internal,
                 data={"approval": approval.pk, "stage": approval.stage, "approver": approver.pk,
                       "decision": decision, "comment": comment, "via": approver.decided_via,
                       "by": approver.decided_by_name, "tally": [tally.approvals, tally.rejections, tally.needed],
                       **(event_data or {})})
    if tally.outcome != ApprovalStepState.PENDING:
        approval.state, approval.decided_at = tally.outcome, now
        approval.save(update_fields=["state", "decided_at"])
    return tally


def _decide(*, approval: Approval, approver: Approver, actor: Any, decision: str, comment: str, via: str,
            name: str, now: datetime) -> TicketBase:
    """Record one decision (the caller locked the ticket, the approval and the approver), then move
    the ticket through the engine when the step is settled."""
    spec = kind_spec(approval.ticket_kind)
    ticket = ticket_lock(spec.model, approval.ticket_id)
    tally = approval_decision_record(ticket=ticket, approval=approval, approver=approver, actor=actor,
                                     decision=decision, comment=comment, via=via, name=name, now=now)
    comment = approver.comment
    outcome = tally.outcome
    if outcome == ApprovalStepState.PENDING:
        ticket_touch(ticket, fields=[])
        nxt = _turn(approval)
        if nxt is not None and nxt.user_id is None and nxt.email:
            transaction.on_commit(partial(approver_link_send, approver_id=nxt.pk, now=now), robust=True)
        return ticket
    action = approval.approve_action if outcome == ApprovalStepState.APPROVED else approval.reject_action
    if not action:
        ticket_touch(ticket, fields=[])
        return ticket
    payload = {"comment": comment, "approval": approval.pk}
    if comment:
        payload["reason"] = comment
    with _driving(approval.ticket_kind, ticket.pk):
        moved: TicketBase = transition_run(spec=spec, ticket_id=ticket.pk, actor=actor, action=action,
                                           payload=payload, now=now,
                                           options={"approval": approval, "approver": approver})
    return moved


@transaction.atomic
def approval_decide(*, approval_id: int, actor: Any, decision: str, comment: str = "", now: datetime,
                    via: str = ApprovalVia.PORTAL) -> TicketBase:
    """A signed-in approver's decision (portal, staff page or API)."""
    approval = Approval.objects.select_for_update().get(pk=approval_id)
    spec = kind_spec(approval.ticket_kind)
    ticket = ticket_lock(spec.model, approval.ticket_id)
    if actor.is_customer and ticket.organization_id != actor.organization_id:
        raise spec.model.DoesNotExist  # invisible is 404
    if approval.state != ApprovalStepState.PENDING:
        raise ValidationError({"approval": [_("This approval has already been decided.")]})
    approver = Approver.objects.select_for_update().filter(approval=approval, user_id=actor.pk).first()
    if approver is None or approver.decision:
        raise ValidationError({"approval": [_("You are not asked to decide this approval, or you already did.")]})
    turn = _turn(approval)
    if turn is not None and turn.pk != approver.pk:
        raise ValidationError({"approval": [_("It is not your turn yet: the approvers decide one after another.")]})
    return _decide(approval=approval, approver=approver, actor=actor, decision=decision, comment=comment, via=via,
                   name="", now=now)


def approver_from_token(*, token: str) -> Approver:
    """The undecided approver a link names, or ApprovalLinkInvalid("invalid" | "expired" | "used")."""
    pk, nonce = approval_token_parse(token)
    approver = Approver.objects.select_related("approval").filter(pk=pk).first()
    if approver is None or approver.nonce != nonce:
        raise ApprovalLinkInvalid("invalid")
    if approver.used_at is not None or approver.decision or approver.approval.state != ApprovalStepState.PENDING:
        raise ApprovalLinkInvalid("used")
    return approver


@transaction.atomic
def approval_decide_by_link(*, token: str, decision: str, comment: str = "", name: str = "",
                            now: datetime) -> TicketBase:
    """An approver's decision through the e-mailed single-use link (no login): a `signed_link`
    actor (the approver's account, if any, is the event's actor)."""
    approver = approver_from_token(token=token)
    approval = Approval.objects.select_for_update().get(pk=approver.approval_id)
    approver = Approver.objects.select_for_update().get(pk=approver.pk)
    if approver.used_at is not None or approver.decision or approval.state != ApprovalStepState.PENDING:
        raise ApprovalLinkInvalid("used")
    turn = _turn(approval)
    if turn is not None and turn.pk != approver.pk:
        raise ApprovalLinkInvalid("invalid")
    who = (name or "").strip() or approver.name or approver.email
    actor = SystemActor(actor_kind=ACTOR_SIGNED_LINK, user=approver.user, name=who[:150])
    return _decide(approval=approval, approver=approver, actor=actor, decision=decision, comment=comment,
                   via=ApprovalVia.LINK, name=who, now=now)


@transaction.atomic
def approval_withdraw(*, ticket: TicketBase, now: datetime) -> int:
    """Withdraw the ticket's pending approvals (the ticket was cancelled or sent back)."""
    return Approval.objects.filter(ticket_kind=ticket.KIND, ticket_id=ticket.pk,
                                   state=ApprovalStepState.PENDING).update(
        state=ApprovalStepState.WITHDRAWN, decided_at=now)


@dataclass
class SweepResult:
    reminded: int = 0
    escalated: int = 0


def approval_notice_recipients(approval: Approval, *, escalate: bool) -> list[dict[str, Any]]:
    """Who a reminder (the undecided approvers, only the current one when sequential) or an
    escalation (the escalation target) goes to: user id, e-mail, name."""
    if escalate:
        target = approval.escalate_to
        return ([{"user_id": target.pk, "email": target.email or "", "name": target.display_name}]
                if target is not None else [])
    waiting = list(approval.approvers.filter(decision="").order_by("position", "id"))
    if approval.order == ApprovalOrder.SEQUENTIAL:
        waiting = waiting[:1]
    return [{"user_id": a.user_id, "email": a.email, "name": a.name} for a in waiting]


def _notice(*, approval: Approval, ticket: TicketBase, escalate: bool, now: datetime) -> dict[str, Any]:
    """What the notifications app needs, JSON-safe (it may not import tickets)."""
    from django.urls import NoReverseMatch, reverse

    number, title = ticket.number, ticket.title
    # As messages (msgid + parameters), rendered by the notifications app for each reader in their
    # language and the organisation's time zone; the plain texts are for the mail fallback.
    subject_msgid = (gettext_noop("Overdue approval on %(number)s") if escalate
                     else gettext_noop("Reminder: approval due on %(number)s"))
    body_msgid = gettext_noop("The approval “%(stage)s” on %(number)s %(title)s was due on %(due)s.")
    due: dict[str, str] | str = {"dt": approval.due_at.isoformat()} if approval.due_at else "–"
    subject_message: dict[str, Any] = {"msgid": subject_msgid, "params": {"number": number}}
    body_message: dict[str, Any] = {"msgid": body_msgid, "params": {
        "stage": approval.stage, "number": number, "title": title, "due": due}}
    reader = approval.escalate_to if escalate else None
    with reading_as(user=reader, time_zone=organization_zone(getattr(ticket, "organization", None))):
        subject = _(subject_msgid) % {"number": number}
        body = _(body_msgid) % {"stage": approval.stage, "number": number, "title": title,
                                "due": human_datetime(approval.due_at)}
    link = ""
    url_name = kind_spec(approval.ticket_kind).url_name
    if url_name:
        try:
            link = reverse(url_name, args=[ticket.pk])
        except NoReverseMatch:
            link = ""
    kind = "escalation" if escalate else "reminder"
    return {
        "kind": kind, "approval": approval.pk, "stage": approval.stage, "internal": approval.internal,
        "ticket_kind": approval.ticket_kind, "ticket_id": ticket.pk, "number": number, "title": title,
        "organization_id": ticket.organization_id,
        "due_at": approval.due_at.isoformat() if approval.due_at else None, "subject": subject, "body": body,
        "subject_message": subject_message, "body_message": body_message,
        "link": link, "recipients": approval_notice_recipients(approval, escalate=escalate),
        "dedup_key": f"approval:{approval.pk}:{kind}", "now": now.isoformat(),
    }


def approval_notice_send(notice: dict[str, Any]) -> None:
    """Hand a reminder / escalation to the subscribers of `opsdesk.signals.approval_notice` (the
    notifications app); with none, e-mail the recipients plainly. A failing subscriber is logged."""
    if approval_notice.has_listeners():
        for receiver, result in approval_notice.send_robust(sender=Approval, notice=notice):
            if isinstance(result, Exception):
                logger.error("Approval notice %s failed in %r: %s", notice["dedup_key"], receiver, result)
        return
    recipients = sorted({r["email"] for r in notice["recipients"] if r.get("email")})
    if recipients:
        _mail(subject=notice["subject"], body=notice["body"], recipients=recipients, number=notice.get("number", ""))


def _remind(*, approval_id: int, now: datetime, escalate: bool) -> bool:
    """Claim the reminder (or the escalation) with a conditional UPDATE that repeats the whole
    predicate, so two sweeps (or two workers) record it once; then the event and, after commit,
    the notice (in-app and e-mail through the notifications app)."""
    with transaction.atomic():
        qs = Approval.objects.filter(pk=approval_id, state=ApprovalStepState.PENDING)
        if escalate:
            claimed = qs.filter(escalate_at__lte=now, escalated_at__isnull=True).update(escalated_at=now)
        else:
            claimed = qs.filter(due_at__lte=now, reminded_at__isnull=True).update(reminded_at=now)
        if not claimed:
            return False
        approval = Approval.objects.select_related("escalate_to").get(pk=approval_id)
        spec = kind_spec(approval.ticket_kind)
        ticket = ticket_lock(spec.model, approval.ticket_id)
        notice = _notice(approval=approval, ticket=ticket, escalate=escalate, now=now)
        waiting = list(approval.approvers.filter(decision="").order_by("position", "id"))
        if approval.order == ApprovalOrder.SEQUENTIAL:
            waiting = waiting[:1]
        event_record(ticket=ticket, actor=None, now=now,
                     action=EventAction.APPROVAL_ESCALATED if escalate else EventAction.APPROVAL_REMINDED,
                     data={"approval": approval.pk, "stage": approval.stage, "due_at": approval.due_at,
                           "waiting": [a.pk for a in waiting],
                           "escalate_to": approval.escalate_to_id if escalate else None})
        if notice["recipients"]:
            transaction.on_commit(partial(approval_notice_send, notice), robust=True)
    return True


def _mail(*, subject: str, body: str, recipients: list[str], number: str = "") -> None:
    try:
        ticket_mail_send(subject, body, recipients, number=number)
    except (OSError, smtplib.SMTPException):
        return  # the event says it was due; the next reminder is a person's job


def approvals_sweep(*, now: datetime, batch: int = 200) -> SweepResult:
    """Remind the approvers of overdue approvals, then escalate those still open a working day
    later. Idempotent: each is claimed once by a conditional UPDATE."""
    result = SweepResult()
    pending = Approval.objects.filter(state=ApprovalStepState.PENDING)
    for pk in pending.filter(due_at__lte=now, reminded_at__isnull=True).order_by("due_at", "pk").values_list(
            "pk", flat=True)[:batch]:
        result.reminded += _remind(approval_id=pk, now=now, escalate=False)
    for pk in pending.filter(escalate_at__lte=now, escalated_at__isnull=True).order_by("escalate_at", "pk") \
            .values_list("pk", flat=True)[:batch]:
        result.escalated += _remind(approval_id=pk, now=now, escalate=True)
    return result
