"""The inspection round's transition table. Data: checked by `round_transition`, drawn by the UI.

    scheduled ──start (or the first answer)──▶ in_progress ──complete──▶ done
    scheduled / in_progress ──cancel──▶ cancelled

Overdue is not a status: the sweep stamps `escalated_at` and notifies the group lead once."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accounts.choices import ORGANIZATION_ROLES, Role
from tickets.workflow import Transition, Workflow, sources

from .choices import RoundStatus as S

STAFF = frozenset(r for r in Role if r not in ORGANIZATION_ROLES)
ROUND_WORK = frozenset({Role.ENGINEER, Role.REGIONAL_LEAD, Role.MANAGER, Role.SUPERVISOR, Role.DISPATCHER,
                        Role.ANALYST})
ROUND_DECIDE = frozenset({Role.REGIONAL_LEAD, Role.MANAGER, Role.SUPERVISOR})
PLAN_MANAGE = frozenset({Role.MANAGER, Role.REGIONAL_LEAD, Role.SUPERVISOR})  # create / edit / switch off plans
TEMPLATE_MANAGE = frozenset({Role.MANAGER})  # copy a checklist template and edit the copy

ROUND_WORKFLOW = Workflow((
    Transition("start", _("Start round"), sources(S.SCHEDULED), S.IN_PROGRESS, ROUND_WORK, style="primary"),
    Transition("complete", _("Complete round"), sources(S.IN_PROGRESS), S.DONE, ROUND_WORK, style="primary"),
    Transition("cancel", _("Cancel round"), sources(S.SCHEDULED, S.IN_PROGRESS), S.CANCELLED, ROUND_DECIDE,
               requires=("reason",), style="danger"),
))
