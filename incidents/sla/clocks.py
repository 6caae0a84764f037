"""Preparing, starting and moving an incident's clocks: the hooks the incident services and
follow-ups call while they hold the incident's row lock, and the mirror into its `*_due` columns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_noop

from accounts.choices import Role
from duty.choices import DutyRole
from duty.selectors import duty_user_ids
from notifications.messages import msg, when
from tickets.audit import event_record
from tickets.choices import EventAction
from tickets.clocks import (
    clock_replan,
    clock_start,
    clocks_meet,
    clocks_of,
    clocks_pause,
    clocks_resume,
    clocks_start_new,
    is_business,
)
from tickets.models import SLAClock
from tickets.sla.clock import ClockPlan, due_at, measure
from tickets.sla_config import ResolvedPolicy

from ..models import Incident
from .notify import notify
from .policy import (
    DUE_FIELDS,
    KIND,
    MAX_ROLE_RECIPIENTS,
    MEETS,
    START_TARGETS,
    TARGET_ORDER,
    Stamp,
    T,
    incident_policy,
    met_at_of,
    target_plan,
)

# --- mirroring clocks into the incident's columns ----------------------------------------------

def _mirror(incident: Incident, clocks: dict[str, SLAClock], *, stamp: Stamp | None = None,
            clear_missing: bool = False) -> list[str]:
    """Copy due times into `*_due` (through `stamp`, so the event shows old → new) and the nearest
    unmet, unpaused due time into `sla_next_due`; return the columns changed without `stamp`.
    A target without a clock keeps its column unless `clear_missing` (its target was dropped):
    incidents loaded in bulk before the clocks existed keep their stored deadlines."""
    silent: list[str] = []
    for target, name in DUE_FIELDS.items():
        clock = clocks.get(target)
        if clock is None and not clear_missing:
            continue
        new = clock.due_at if clock is not None else None
        if getattr(incident, name) != new:
            if stamp is not None:
                stamp(name, new)
            else:
                setattr(incident, name, new)
                silent.append(name)
    running = [c.due_at for c in clocks.values() if c.met_at is None and c.paused_at is None]
    next_due = min(running) if running else None
    if incident.sla_next_due != next_due:
        incident.sla_next_due = next_due
        silent.append("sla_next_due")
    return silent


def _save_silent(incident: Incident, fields: list[str]) -> None:
    if fields:
        Incident.objects.filter(pk=incident.pk).update(**{f: getattr(incident, f) for f in fields})


# --- creation ------------------------------------------------------------------------------------

@dataclass
class Prepared:
    policy: ResolvedPolicy
    plans: dict[str, ClockPlan] = field(default_factory=dict)


def incident_sla_prepare(*, incident: Incident, now: datetime) -> Prepared:
    """Before the first save: plan the clocks from the report time and fill the `*_due` columns."""
    policy = incident_policy(incident, now=incident.reported_at)
    prepared = Prepared(policy=policy)
    for target in START_TARGETS:
        plan = target_plan(policy, incident.fault_level, target, start=incident.reported_at)
        if plan is not None:
            prepared.plans[target] = plan
    for target, name in DUE_FIELDS.items():
        plan = prepared.plans.get(target)
        setattr(incident, name, plan.due_at if plan else None)
    incident.sla_next_due = min((p.due_at for p in prepared.plans.values()), default=None)
    return prepared


def incident_sla_start(*, incident: Incident, prepared: Prepared, actor: Any, now: datetime) -> None:
    """After the first save and its `created` event: store the clocks; a level I incident is a
    major incident and the regional leads hear of it at once."""
    # A new incident has no clocks yet: one INSERT for all of them.
    started = clocks_start_new(ticket_kind=KIND, ticket_id=incident.pk, organization_id=incident.organization_id,
                               plans=prepared.plans.values())
    # The create's response shows these clocks: it need not read them back (presentation.py).
    incident.fresh_sla_clocks = {c.target: c for c in started}  # type: ignore[attr-defined]
    if incident.fault_level == "I":
        _major_incident(incident, actor=actor, now=now)


def _major_incident(incident: Incident, *, actor: Any, now: datetime) -> None:
    user_model = get_user_model()
    leads = list(user_model.objects.filter(role=Role.REGIONAL_LEAD, is_active=True).order_by("pk")
                 .values_list("pk", flat=True)[:MAX_ROLE_RECIPIENTS])
    # The duty roster: the on-duty engineers and duty leads (of the incident's group, or of every
    # group while it has none) are paged with the regional leads.
    on_duty = duty_user_ids(incident.group_id, at=now, roles=(DutyRole.PRIMARY, DutyRole.LEAD))
    leads = leads + [pk for pk in on_duty if pk not in leads]
    event_record(ticket=incident, actor=actor, action=EventAction.NOTIFIED, now=now, data={
        "event": "incident.major", "fault_level": incident.fault_level, "recipients": leads, "on_duty": on_duty,
    })
    notify(incident, event="incident.major", dedup_key=f"inc:{incident.pk}:major:{incident.audit_seq}",
            title=msg(gettext_noop("Major incident %(number)s: %(title)s"), number=incident.number,
                      title=incident.title),
            body=msg(gettext_noop("Level I incident reported at %(at)s."), at=when(incident.reported_at)),
            extra={"target_user_ids": leads})


# --- transitions ---------------------------------------------------------------------------------

def incident_sla_transition(*, incident: Incident, action: str, now: datetime, stamp: Stamp) -> list[str]:
    """Called by `incident_transition` after it stamped the action's times, before it saves.
    Returns the columns it changed without recording them in the event (`sla_next_due`)."""
    targets = MEETS.get(action)
    if targets:
        clocks_meet(ticket_kind=KIND, ticket_id=incident.pk, targets=targets, now=now)
    if action == "resolve":
        policy = incident_policy(incident, now=now)
        plan = target_plan(policy, incident.fault_level, T.REPORT, start=now)
        if plan is not None:
            clock_start(ticket_kind=KIND, ticket_id=incident.pk, organization_id=incident.organization_id, plan=plan)
    elif action == "pend":
        clocks_pause(ticket_kind=KIND, ticket_id=incident.pk, now=now)
    elif action == "resume":
        policy = incident_policy(incident, now=now)
        clocks_resume(ticket_kind=KIND, ticket_id=incident.pk, now=now, calendar=policy.calendar,
                      escalation_step=policy.escalation_step)
        if incident.sla_paused_at is not None:
            stamp("sla_paused_at", None)
    elif action == "reopen":
        policy = incident_policy(incident, now=now)
        for target in (T.RESTORE, T.RESOLVE, T.PROGRESS):
            plan = target_plan(policy, incident.fault_level, target, start=now)
            if plan is not None:
                clock_start(ticket_kind=KIND, ticket_id=incident.pk, organization_id=incident.organization_id,
                            plan=plan)
        clocks_pause(ticket_kind=KIND, ticket_id=incident.pk, now=now, exclude=START_TARGETS)
    elif action == "close":
        clocks_pause(ticket_kind=KIND, ticket_id=incident.pk, now=now, exclude=(T.REPORT,))
    elif action == "cancel":
        clocks_pause(ticket_kind=KIND, ticket_id=incident.pk, now=now)
    clocks = clocks_of(ticket_kind=KIND, ticket_id=incident.pk)
    if not clocks:
        return []  # an incident from before the clocks (bulk data): its columns stay as they are
    return _mirror(incident, clocks, stamp=stamp)


def incident_sla_level_changed(*, incident: Incident, old_level: str, now: datetime) -> list[str]:
    """A fault-level change (inside `incident_update`): every unmet clock gets the new level's
    target counted from its original start, plus the time it was paused so far; targets the new
    level adds start from the report time; targets it drops are removed. Sets the `*_due` columns
    (the service records old → new); returns the silent columns."""
    policy = incident_policy(incident, now=incident.reported_at)
    calendar = policy.calendar
    clocks = clocks_of(ticket_kind=KIND, ticket_id=incident.pk)
    level = incident.fault_level
    for target in TARGET_ORDER:
        clock = clocks.get(target)
        if clock is None:
            if target in START_TARGETS:
                plan = target_plan(policy, level, target, start=incident.reported_at)
                if plan is not None:
                    clocks[target] = clock_start(
                        ticket_kind=KIND, ticket_id=incident.pk, organization_id=incident.organization_id, plan=plan,
                        met_at=met_at_of(incident, target), paused_at=incident.sla_paused_at)
            continue
        plan = target_plan(policy, level, target, start=clock.started_at)
        if plan is None:
            SLAClock.objects.filter(pk=clock.pk).delete()  # derived state: the new level has no such target
            del clocks[target]
            continue
        if clock.met_at is not None:
            continue
        old_spec = policy.spec(old_level, target)
        old_due = due_at(old_spec, start=clock.started_at, calendar=calendar) if old_spec else None
        extra = measure(old_due, clock.due_at, business=is_business(clock), calendar=calendar) if old_due else timedelta(0)
        clocks[target] = clock_replan(clock, plan=plan, extra=extra, calendar=calendar)
    silent = _mirror(incident, clocks, clear_missing=True)
    return [f for f in silent if f == "sla_next_due"]


def incident_sla_after_update(*, incident: Incident, old_level: str, actor: Any, now: datetime) -> None:
    """After `incident_update` recorded its event: raising an incident to level I is a major incident."""
    if incident.fault_level == "I" and old_level != "I":
        _major_incident(incident, actor=actor, now=now)


# --- follow-ups (called by incidents/followups.py) ------------------------------------------------

def incident_sla_on_progress(*, incident: Incident, now: datetime) -> None:
    """A progress update was added: the next one is due a full interval from now."""
    clocks = clocks_of(ticket_kind=KIND, ticket_id=incident.pk)
    clock = clocks.get(T.PROGRESS)
    if clock is None or clock.met_at is not None:
        return
    policy = incident_policy(incident, now=now)
    plan = target_plan(policy, incident.fault_level, T.PROGRESS, start=now)
    if plan is None:
        return
    clocks[T.PROGRESS] = clock_start(ticket_kind=KIND, ticket_id=incident.pk, organization_id=incident.organization_id,
                                     plan=plan, paused_at=now if clock.paused_at else None)
    _save_silent(incident, _mirror(incident, clocks))


def incident_sla_on_report(*, incident: Incident, now: datetime) -> None:
    """The fault report was submitted: its clock is met."""
    clocks_meet(ticket_kind=KIND, ticket_id=incident.pk, targets=(T.REPORT,), now=now)
    clocks = clocks_of(ticket_kind=KIND, ticket_id=incident.pk)
    if clocks:
        _save_silent(incident, _mirror(incident, clocks))
