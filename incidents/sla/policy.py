"""The incident SLA engine's configuration: targets, thresholds, the policy of an incident, the
escalation defaults and the system actor."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model

from accounts.choices import Role
from tickets.choices import EscalationRecipient, SLATargetName, TicketKind
from tickets.sla.clock import ClockPlan, clock_plan
from tickets.sla_config import ResolvedPolicy, policy_for

from ..choices import SYSTEM_USERNAME
from ..models import Incident

KIND = TicketKind.INCIDENT
T = SLATargetName
MAX_ESCALATION = 4
# Targets started when the incident is created (the report clock starts at resolution).
START_TARGETS = (T.RESPOND, T.ONSITE, T.RESTORE, T.RESOLVE, T.PROGRESS)
TARGET_ORDER = (T.RESPOND, T.ONSITE, T.RESTORE, T.RESOLVE, T.PROGRESS, T.REPORT)
DUE_FIELDS = {T.RESPOND: "respond_due", T.ONSITE: "onsite_due", T.RESTORE: "restore_due", T.RESOLVE: "resolve_due"}
MEETS: dict[str, tuple[str, ...]] = {
    "accept": (T.RESPOND,),
    "arrive": (T.RESPOND, T.ONSITE),
    "restore": (T.RESPOND, T.ONSITE, T.RESTORE, T.PROGRESS),
    "resolve": (T.RESPOND, T.ONSITE, T.RESTORE, T.RESOLVE, T.PROGRESS),
}
# Escalation chain when neither the organisation nor the default has rows (BRIEF.md R-SLA).
DEFAULT_CHAIN: dict[int, list[tuple[str, str]]] = {
    1: [(EscalationRecipient.GROUP_LEAD, "")],
    2: [(EscalationRecipient.ROLE, Role.REGIONAL_LEAD)],
    3: [(EscalationRecipient.ROLE, Role.MANAGER)],
    4: [(EscalationRecipient.CUSTOMER_CONTACT, "")],
}
MAX_ROLE_RECIPIENTS = 50

Stamp = Callable[[str, Any], None]


# --- configuration helpers ---------------------------------------------------------------------

def incident_policy(incident: Incident, *, now: datetime) -> ResolvedPolicy:
    return policy_for(organization_id=incident.organization_id, now=now)


def observation_period(*, incident: Incident, now: datetime) -> timedelta:
    return incident_policy(incident, now=now).observation_period


def _thresholds(policy: ResolvedPolicy, target: str) -> tuple[int, ...]:
    return () if target == T.PROGRESS else policy.warn_thresholds


def target_plan(policy: ResolvedPolicy, level: str, target: str, *, start: datetime) -> ClockPlan | None:
    spec = policy.spec(level, target)
    if spec is None:
        return None
    return clock_plan(spec, start=start, calendar=policy.calendar, thresholds=_thresholds(policy, target))


def met_at_of(incident: Incident, target: str) -> datetime | None:
    met: dict[str, datetime | None] = {T.RESPOND: incident.responded_at, T.ONSITE: incident.onsite_at or incident.restored_at,
            T.RESTORE: incident.restored_at, T.RESOLVE: incident.resolved_at,
            T.PROGRESS: incident.restored_at}
    return met.get(target)


def system_actor() -> Any:
    """The user the sweep acts as (auto-close): created by a data migration, or here on first use.
    It cannot log in (unusable password)."""
    user_model = get_user_model()
    user = user_model.objects.filter(username=SYSTEM_USERNAME).first()
    if user is None:
        user = user_model(username=SYSTEM_USERNAME, name="OpsDesk", role=Role.MANAGER, is_active=True)
        user.set_unusable_password()
        user.save()
    return user
