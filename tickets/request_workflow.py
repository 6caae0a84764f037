"""The service-request transition table (consultations, requests, complaints, training)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accounts.choices import ORGANIZATION_ROLES, Role

from .choices import RequestStatus as S
from .workflow import Transition, Workflow, sources

STAFF = frozenset(r for r in Role if r not in ORGANIZATION_ROLES)
DISPATCH = frozenset({Role.OPERATOR, Role.DISPATCHER, Role.SUPERVISOR, Role.REGIONAL_LEAD, Role.MANAGER})

REQUEST_WORKFLOW = Workflow((
    Transition("assign", _("Assign"), sources(S.NEW, S.ASSIGNED, S.IN_PROGRESS, S.PENDING), S.ASSIGNED, DISPATCH,
               style="primary"),
    Transition("accept", _("Accept"), sources(S.NEW, S.ASSIGNED), S.IN_PROGRESS, STAFF, style="primary"),
    Transition("pend", _("Pending customer"), sources(S.IN_PROGRESS), S.PENDING, STAFF, requires=("reason",)),
    Transition("resume", _("Resume"), sources(S.PENDING), S.IN_PROGRESS, STAFF | {Role.CUSTOMER}),
    Transition("resolve", _("Resolve"), sources(S.IN_PROGRESS), S.RESOLVED, STAFF, requires=("resolution",),
               style="primary"),
    Transition("close", _("Close"), sources(S.RESOLVED), S.CLOSED, STAFF | {Role.CUSTOMER}),
    Transition("reopen", _("Reopen"), sources(S.RESOLVED), S.IN_PROGRESS, STAFF | {Role.CUSTOMER},
               requires=("reason",), style="danger"),
    Transition("cancel", _("Cancel"), sources(S.NEW, S.ASSIGNED, S.IN_PROGRESS, S.PENDING), S.CANCELLED,
               DISPATCH | {Role.CUSTOMER}, requires=("reason",), style="danger"),
))
