"""The leave request's table: the engineer (or a manager for them) submits; `approve`/`reject`
are taken only by a settled approval step (the company's, then the customer's — a customer may
answer by signed link); the engineer or a manager cancels before it is approved."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from accounts.choices import ORGANIZATION_ROLES, Role
from tickets.approvals import approval_step_decides
from tickets.workflow import Transition, Workflow, sources

from .choices import LeaveStatus as S

STAFF = frozenset(r for r in Role if r not in ORGANIZATION_ROLES)
EVERYONE = frozenset(Role)
MANAGERS = frozenset({Role.SUPERVISOR, Role.REGIONAL_LEAD, Role.MANAGER})
APPROVING = sources(S.COMPANY_APPROVAL, S.CUSTOMER_APPROVAL)


def own_or_manager(leave: Any, user: Any) -> bool:
    return bool(user.is_superuser or user.role in MANAGERS or leave.engineer_id == user.pk)


LEAVE_WORKFLOW = Workflow((
    Transition("submit", _("Submit for approval"), sources(S.DRAFT), S.COMPANY_APPROVAL, STAFF, guard=own_or_manager,
               style="primary"),
    Transition("approve", _("Approve"), APPROVING, None, EVERYONE, guard=approval_step_decides,
               actors=frozenset({"signed_link"})),
    Transition("reject", _("Reject"), APPROVING, S.REJECTED, EVERYONE, requires=("reason",),
               guard=approval_step_decides, actors=frozenset({"signed_link"})),
    Transition("cancel", _("Cancel"), sources(S.DRAFT, S.COMPANY_APPROVAL, S.CUSTOMER_APPROVAL), S.CANCELLED, STAFF,
               requires=("reason",), guard=own_or_manager, style="danger"),
))
# Taken only by the approval step: never drawn as buttons.
HIDDEN_ACTIONS = ("approve", "reject")
