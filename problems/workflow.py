"""The problem transition table (R-PRB). Data: checked by `problem_transition`, drawn by the UI.

    new ──investigate──▶ investigating ──known_error──▶ known_error ──resolve──▶ resolved ──close──▶ closed
     └──────────────known_error───────────────────────▲      │  ▲                 │
     new / investigating / known_error ──fix (a change closed successfully)──▶ resolved
     resolved ──reopen (the fix did not hold)──▶ investigating
     new / investigating / known_error ──cancel──▶ cancelled

Marking a known error needs a root cause and a workaround (given with the action or already on
the problem); it sets the `known_error` flag, which stays after resolution so the known-error base
keeps the record (shown as fixed). `fix` is what the changes app calls through
`problem_fix_by_change`; the UI does not draw it (it needs a real change number).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accounts.choices import ORGANIZATION_ROLES, Role
from tickets.workflow import Transition, Workflow, sources

from .choices import ProblemStatus as S

# Who opens, investigates and links problems; who decides they are over.
PROBLEM_WORK = frozenset({Role.ANALYST, Role.ENGINEER, Role.REGIONAL_LEAD, Role.MANAGER})
PROBLEM_OPEN = PROBLEM_WORK | {Role.DISPATCHER, Role.SUPERVISOR}
PROBLEM_DECIDE = frozenset({Role.ANALYST, Role.REGIONAL_LEAD, Role.MANAGER})
STAFF = frozenset(r for r in Role if r not in ORGANIZATION_ROLES)

# Actions the UI does not draw as buttons (they are taken by other parts of the system).
UI_HIDDEN_ACTIONS = frozenset({"fix"})

PROBLEM_WORKFLOW = Workflow((
    Transition("investigate", _("Start investigation"), sources(S.NEW), S.INVESTIGATING, PROBLEM_WORK,
               style="primary"),
    Transition("known_error", _("Mark as known error"), sources(S.NEW, S.INVESTIGATING), S.KNOWN_ERROR,
               PROBLEM_WORK, requires=("root_cause", "workaround"), style="primary"),
    Transition("resolve", _("Resolve"), sources(S.INVESTIGATING, S.KNOWN_ERROR), S.RESOLVED, PROBLEM_WORK,
               requires=("resolution",), style="primary"),
    Transition("fix", _("Fixed by a change"), sources(S.NEW, S.INVESTIGATING, S.KNOWN_ERROR), S.RESOLVED, STAFF,
               requires=("change_number",)),
    Transition("close", _("Close"), sources(S.RESOLVED), S.CLOSED, PROBLEM_DECIDE, style="primary"),
    Transition("reopen", _("Reopen"), sources(S.RESOLVED), S.INVESTIGATING, PROBLEM_WORK, requires=("reason",),
               style="danger"),
    Transition("cancel", _("Cancel"), sources(S.NEW, S.INVESTIGATING, S.KNOWN_ERROR), S.CANCELLED, PROBLEM_DECIDE,
               requires=("reason",), style="danger"),
))
