"""The change transition table (R-CHG). Data: checked by `change_transition`, drawn by the UI.

Routing by type happens in the service (`approval_route`): a normal change goes submitted →
assessed → CAB → customer → approved; an emergency change goes from submission straight to the
emergency CAB; a standard change (from a pre-approved template) skips assessment and the CAB, and
the customer too when the template records the customer's pre-approval. `approve` and `reject` are
a CAB member's vote while the CAB decides, and the customer's answer while the customer decides:
decisions on the change's approval steps (tickets/approvals.py; `services._cab_vote`)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.choices import ORGANIZATION_ROLES, Role
from tickets.approvals import approval_step_decides
from tickets.workflow import Transition, Workflow, sources

from .choices import ChangeStatus as S

STAFF = frozenset(r for r in Role if r not in ORGANIZATION_ROLES)
# Change managers: assess, send to the CAB, schedule, review, close.
MANAGE = frozenset({Role.ANALYST, Role.REGIONAL_LEAD, Role.MANAGER})
# Who carries a change out.
IMPLEMENT = frozenset({Role.ENGINEER, Role.ANALYST, Role.REGIONAL_LEAD, Role.MANAGER})
RAISE = frozenset({Role.ENGINEER, Role.ANALYST, Role.DISPATCHER, Role.SUPERVISOR, Role.REGIONAL_LEAD, Role.MANAGER})
EVERYONE = frozenset(Role)

CANCELLABLE = sources(S.DRAFT, S.SUBMITTED, S.ASSESSED, S.CAB_APPROVAL, S.CUSTOMER_APPROVAL, S.APPROVED, S.SCHEDULED)
FINISHED = sources(S.IMPLEMENTED, S.FAILED, S.BACKED_OUT)


def may_vote(change: Any, user: Any) -> bool:
    """While the CAB decides: a member of the change's CAB who has not voted in this round.
    While the customer decides: a customer user of the change's organisation, or the contact through
    the signed single-use link (a `signed_link` actor, admitted by the transition's `actors`)."""
    if approval_step_decides(change, user):
        return True  # a decision recorded through the approval step (tickets/approvals.py) moves it
    if getattr(user, "actor_kind", "user") != "user":
        return change.status == S.CUSTOMER_APPROVAL
    if change.status == S.CAB_APPROVAL:
        if user.is_customer or change.cab_id is None:
            return False
        if not change.cab.members.filter(pk=user.pk).exists():
            return False
        return not change.votes.filter(round=change.cab_round, user=user).exists()
    if change.status == S.CUSTOMER_APPROVAL:
        return bool(user.is_customer and user.organization_id == change.organization_id and user.is_active)
    return False


def not_customer(change: Any, user: Any) -> bool:
    return not user.is_customer


CHANGE_WORKFLOW = Workflow((
    Transition("submit", _("Submit"), sources(S.DRAFT), S.SUBMITTED, RAISE, style="primary"),
    Transition("assess", _("Assess"), sources(S.SUBMITTED), S.ASSESSED, MANAGE, style="primary"),
    Transition("request_approval", _("Send to the CAB"), sources(S.ASSESSED), S.CAB_APPROVAL, MANAGE,
               style="primary"),
    # A vote / the customer's answer: the service moves the change on when the decision is complete.
    Transition("approve", _("Approve"), sources(S.CAB_APPROVAL, S.CUSTOMER_APPROVAL), None, EVERYONE,
               guard=may_vote, style="primary", actors=frozenset({"signed_link"})),
    Transition("reject", _("Reject"), sources(S.CAB_APPROVAL, S.CUSTOMER_APPROVAL), S.REJECTED, EVERYONE,
               requires=("reason",), guard=may_vote, style="danger", actors=frozenset({"signed_link"})),
    Transition("schedule", pgettext_lazy("change action", "Schedule"), sources(S.APPROVED), S.SCHEDULED, MANAGE, style="primary"),
    Transition("implement", _("Start implementation"), sources(S.SCHEDULED), S.IMPLEMENTING, IMPLEMENT,
               style="primary"),
    Transition("complete", pgettext_lazy("change action", "Implemented"), sources(S.IMPLEMENTING), S.IMPLEMENTED, IMPLEMENT, style="primary"),
    Transition("fail", _("Failed"), sources(S.IMPLEMENTING), S.FAILED, IMPLEMENT, requires=("reason",),
               style="danger"),
    Transition("back_out", _("Backed out"), sources(S.IMPLEMENTING, S.FAILED), S.BACKED_OUT, IMPLEMENT,
               requires=("reason",), style="danger"),
    Transition("review", _("Record the review"), FINISHED, S.REVIEW, MANAGE, requires=("outcome", "notes"),
               style="primary"),
    Transition("close", _("Close"), sources(S.REVIEW), S.CLOSED, MANAGE, style="primary"),
    Transition("rework", _("Rework and resubmit"), sources(S.REJECTED), S.DRAFT, RAISE),
    Transition("cancel", _("Cancel"), CANCELLABLE, S.CANCELLED, RAISE, requires=("reason",), guard=not_customer,
               style="danger"),
))

# What a change in each status is waiting for (shown on lists and the portal).
OPEN_STATUSES = (S.DRAFT, S.SUBMITTED, S.ASSESSED, S.CAB_APPROVAL, S.CUSTOMER_APPROVAL, S.APPROVED, S.SCHEDULED,
                 S.IMPLEMENTING, S.IMPLEMENTED, S.FAILED, S.BACKED_OUT, S.REVIEW)
EDITABLE_STATUSES = (S.DRAFT, S.SUBMITTED, S.ASSESSED)
