"""The incident transition table (R-INC). Data: checked by `incident_transition`, drawn by the UI."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from accounts.choices import ORGANIZATION_ROLES, Role
from tickets.workflow import Transition, Workflow, sources

from .checklist import observation_outstanding
from .choices import SYSTEM_USERNAME
from .choices import IncidentStatus as S

DISPATCH = frozenset({Role.DISPATCHER, Role.REGIONAL_LEAD, Role.MANAGER})
WORK = frozenset({Role.ENGINEER, Role.ANALYST, Role.REGIONAL_LEAD, Role.MANAGER})
DESK = frozenset({Role.OPERATOR, Role.DISPATCHER, Role.SUPERVISOR, Role.REGIONAL_LEAD, Role.MANAGER})
STAFF = frozenset(r for r in Role if r not in ORGANIZATION_ROLES)


def assigned_to_user_or_group(incident: Any, user: Any) -> bool:
    """Engineers act only on incidents assigned to them, or to their group with nobody named;
    leads, managers and analysts may act on any."""
    if user.role != Role.ENGINEER or user.is_superuser:
        return True
    if incident.assignee_id is not None:
        return bool(incident.assignee_id == user.pk)
    return incident.group_id is not None and user.support_groups.filter(pk=incident.group_id).exists()


def not_yet_onsite(incident: Any, user: Any) -> bool:
    return incident.onsite_at is None and assigned_to_user_or_group(incident, user)


def not_yet_restored(incident: Any, user: Any) -> bool:
    return incident.restored_at is None and assigned_to_user_or_group(incident, user)


def observation_done(incident: Any, user: Any) -> bool:
    """A person closes an observed incident once every checklist item is OK; the system closes it
    when the observation period ends without recurrence, whatever the checklist says."""
    if getattr(user, "actor_kind", "user") == "system" or getattr(user, "username", "") == SYSTEM_USERNAME:
        return True
    return observation_outstanding(incident=incident) == 0


def own_organisation(incident: Any, user: Any) -> bool:
    return user.role != Role.CUSTOMER or incident.organization_id == user.organization_id


INCIDENT_WORKFLOW = Workflow((
    Transition("assign", _("Assign"), sources(S.NEW, S.ASSIGNED, S.IN_PROGRESS, S.PENDING), S.ASSIGNED, DISPATCH,
               style="primary"),
    Transition("accept", _("Accept"), sources(S.ASSIGNED), S.IN_PROGRESS, WORK, guard=assigned_to_user_or_group,
               style="primary"),
    Transition("arrive", _("Arrived on site"), sources(S.IN_PROGRESS), None, WORK, guard=not_yet_onsite),
    Transition("pend", _("Pending customer"), sources(S.IN_PROGRESS), S.PENDING, WORK, requires=("reason",),
               guard=assigned_to_user_or_group),
    Transition("resume", _("Resume"), sources(S.PENDING), S.IN_PROGRESS, WORK, guard=assigned_to_user_or_group),
    # Monitoring (a "system" actor) marks restoration when the alert recovers, if its rule says so.
    Transition("restore", _("Service restored"), sources(S.IN_PROGRESS), None, WORK, requires=("workaround",),
               guard=not_yet_restored, actors=frozenset({"system"})),
    Transition("resolve", _("Resolve"), sources(S.IN_PROGRESS), S.RESOLVED, WORK,
               requires=("cause_category", "resolution"), guard=assigned_to_user_or_group, style="primary"),
    Transition("observe", _("Confirm and observe"), sources(S.RESOLVED), S.OBSERVING,
               DESK | WORK | {Role.CUSTOMER}, guard=own_organisation),
    # The sweep closes an incident whose observation period ended (a "system" actor).
    Transition("close", _("Close"), sources(S.OBSERVING), S.CLOSED, DESK, guard=observation_done,
               actors=frozenset({"system"})),
    # Monitoring (a "system" actor) reopens when the alert fires again during observation (flapping).
    Transition("reopen", _("Reopen"), sources(S.RESOLVED, S.OBSERVING), S.IN_PROGRESS,
               STAFF | {Role.CUSTOMER}, requires=("reason",), guard=own_organisation, style="danger",
               actors=frozenset({"system"})),
    Transition("cancel", _("Cancel"), sources(S.NEW, S.ASSIGNED, S.IN_PROGRESS, S.PENDING), S.CANCELLED,
               DESK, requires=("reason",), style="danger"),
))
