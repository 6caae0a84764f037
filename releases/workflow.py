"""The release transition table (R-CHG, releases). Data: checked by `release_transition`, drawn by the UI.

planning → scheduled → deploying → deployed → verified → closed, with rolled_back (from deploying or
deployed; re-plan or close afterwards) and cancelled (before deployment starts, or after a roll-back).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.choices import Role
from tickets.workflow import Transition, Workflow, sources

from .choices import ReleaseStatus as S

# Who plans, schedules and closes releases; who carries out deployments.
PLAN = frozenset({Role.ANALYST, Role.REGIONAL_LEAD, Role.MANAGER})
DEPLOY = frozenset({Role.ENGINEER, Role.ANALYST, Role.REGIONAL_LEAD, Role.MANAGER})

RELEASE_WORKFLOW = Workflow((
    Transition("schedule", pgettext_lazy("change action", "Schedule"), sources(S.PLANNING), S.SCHEDULED, PLAN, style="primary"),
    Transition("start", _("Start deployment"), sources(S.SCHEDULED), S.DEPLOYING, DEPLOY, style="primary"),
    Transition("complete", _("Deployment complete"), sources(S.DEPLOYING), S.DEPLOYED, DEPLOY, style="primary"),
    Transition("verify", _("Verified"), sources(S.DEPLOYED), S.VERIFIED, PLAN | DEPLOY,
               requires=("verification_notes",), style="primary"),
    Transition("close", _("Close"), sources(S.VERIFIED, S.ROLLED_BACK), S.CLOSED, PLAN),
    Transition("roll_back", _("Roll back"), sources(S.DEPLOYING, S.DEPLOYED), S.ROLLED_BACK, DEPLOY,
               requires=("rollback_notes",), style="danger"),
    Transition("replan", _("Back to planning"), sources(S.SCHEDULED, S.ROLLED_BACK), S.PLANNING, PLAN),
    Transition("cancel", _("Cancel"), sources(S.PLANNING, S.SCHEDULED, S.ROLLED_BACK), S.CANCELLED, PLAN,
               requires=("reason",), style="danger"),
))
