"""The SLA engine for incidents: clocks per target, the sweep's effects, escalation.

Services call the hooks here while they hold the incident's row lock (lock order: incident, then
its clocks; the sweep takes the same order). Deadlines are computed by the pure functions in
tickets/sla/, stored on the clocks (tickets/clocks.py) and mirrored into the incident's `*_due`
and `sla_next_due` columns. The sweep detects crossings with conditional UPDATEs; only the caller
whose UPDATE hit the row writes the timeline event, climbs the escalation chain and queues the
notification (on commit), so running it twice or on two workers at once does everything once.

Choices worth knowing:
* Respond is met on accept/arrive, on-site on arrive, restore on restore/resolve, resolve on
  resolve; restoring also meets an on-site target nobody travelled for (fixed remotely) and the
  progress clock. The fault-report clock starts at resolution and is met when the report is
  submitted.
* Reopen restarts the restore and resolve clocks (and the progress clock, where the level has one)
  with their full targets from the reopen time; respond/on-site stay as they were; an unmet report
  clock is frozen until the next resolution restarts it.
* Close freezes every unmet clock except the fault report's (an overdue report still escalates);
  cancel freezes all. Frozen = paused at that instant, never checked again.
* Each warning threshold and the breach is recorded exactly once, even after a worker outage: a
  late sweep that finds several thresholds passed records each of them, the missed ones marked
  `late` (with the instant they were crossed), then the highest (or the breach). Only the newest
  is notified: the late ones are history, not news. Progress clocks have no warnings: a missed
  update is a reminder, and the clock rolls on to the next interval until service is restored.
  Reminders do not escalate.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Exists, Min, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from accounts.choices import Role
from tickets.audit import event_record, events_chain
from tickets.choices import ClockState, EscalationRecipient, EventAction, SLATargetName, TicketKind
from tickets.clocks import (
    ClockChange,
    DueClock,
    clock_replan,
    clock_start,
    clocks_claim,
    clocks_due,
    clocks_meet,
    clocks_of,
    clocks_pause,
    clocks_resume,
    clocks_start_new,
    is_business,
    values_cte,
)
from tickets.models import EscalationStep, SLAClock, TicketEvent
from tickets.sla.calendar import BusinessCalendar
from tickets.sla.clock import ClockPlan, clock_plan, due_at, measure, progress_roll, sweep_step
from tickets.sla_config import PolicyMemo, ResolvedPolicy, policy_for

from .choices import SYSTEM_USERNAME, IncidentStatus
from .models import Incident

logger = logging.getLogger(__name__)

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


def _plan(policy: ResolvedPolicy, level: str, target: str, *, start: datetime) -> ClockPlan | None:
    spec = policy.spec(level, target)
    if spec is None:
        return None
    return clock_plan(spec, start=start, calendar=policy.calendar, thresholds=_thresholds(policy, target))


def _met_at(incident: Incident, target: str) -> datetime | None:
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
        plan = _plan(policy, incident.fault_level, target, start=incident.reported_at)
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
    clocks_start_new(ticket_kind=KIND, ticket_id=incident.pk, organization_id=incident.organization_id,
                     plans=prepared.plans.values())
    if incident.fault_level == "I":
        _major_incident(incident, actor=actor, now=now)


def _major_incident(incident: Incident, *, actor: Any, now: datetime) -> None:
    user_model = get_user_model()
    leads = list(user_model.objects.filter(role=Role.REGIONAL_LEAD, is_active=True).order_by("pk")
                 .values_list("pk", flat=True)[:MAX_ROLE_RECIPIENTS])
    event_record(ticket=incident, actor=actor, action=EventAction.NOTIFIED, now=now, data={
        "event": "incident.major", "fault_level": incident.fault_level, "recipients": leads,
    })
    _notify(incident, event="incident.major", dedup_key=f"inc:{incident.pk}:major:{incident.audit_seq}",
            title=_("Major incident %(number)s: %(title)s") % {"number": incident.number, "title": incident.title},
            body=_("Level I incident reported at %(at)s.") % {"at": incident.reported_at.isoformat()},
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
        plan = _plan(policy, incident.fault_level, T.REPORT, start=now)
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
            plan = _plan(policy, incident.fault_level, target, start=now)
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
                plan = _plan(policy, level, target, start=incident.reported_at)
                if plan is not None:
                    clocks[target] = clock_start(
                        ticket_kind=KIND, ticket_id=incident.pk, organization_id=incident.organization_id, plan=plan,
                        met_at=_met_at(incident, target), paused_at=incident.sla_paused_at)
            continue
        plan = _plan(policy, level, target, start=clock.started_at)
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
    plan = _plan(policy, incident.fault_level, T.PROGRESS, start=now)
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


def incident_recurrence(*, incident_id: int, actor: Any, now: datetime) -> Incident:
    """The fault came back during observation (or after resolution): reopen with reason
    "recurrence". Raises TransitionNotAllowed when the incident is not resolved or observing."""
    from .services import incident_transition

    return incident_transition(incident_id=incident_id, actor=actor, action="reopen",
                               payload={"reason": "recurrence"}, now=now)


# --- reading -------------------------------------------------------------------------------------

def _view_state(clock: SLAClock) -> str:
    if clock.met_at is not None:
        return "met"
    if clock.paused_at is not None:
        return "paused"
    if clock.breached_at is not None:
        return "breached"
    return "warned" if clock.warned_pct else "running"


def incident_sla_view(*, incident: Incident, now: datetime) -> list[dict[str, Any]]:
    """One dict per target, in the order respond, on site, restore, resolve, progress, report.
    `seconds_left`: wall-clock seconds to the due time while running (negative once overdue, so a
    countdown can tick), the time left on the clock's kind while paused, None once met."""
    clocks = clocks_of(ticket_kind=KIND, ticket_id=incident.pk)
    calendar: BusinessCalendar | None = None
    out: list[dict[str, Any]] = []
    for target in TARGET_ORDER:
        clock = clocks.get(target)
        if clock is None:
            continue
        seconds: int | None
        if clock.met_at is not None:
            seconds = None
        elif clock.paused_at is not None:
            if is_business(clock) and calendar is None:
                calendar = incident_policy(incident, now=now).calendar
            left = measure(clock.paused_at, clock.due_at, business=is_business(clock),
                           calendar=calendar or BusinessCalendar())
            seconds = int(left.total_seconds()) if clock.breached_at is None else 0
        else:
            seconds = int((clock.due_at - now).total_seconds())
        out.append({
            "target": target, "label": str(T(target).label), "due_at": clock.due_at, "state": _view_state(clock),
            "warned_pct": clock.warned_pct, "met_at": clock.met_at, "breached_at": clock.breached_at,
            "seconds_left": seconds,
        })
    return out


def sla_filter(qs: QuerySet[Incident], value: str) -> QuerySet[Incident]:
    """"breached": a target is past due and unmet; "at_risk": a warning has passed on a running
    target that is not breached yet."""
    clocks = SLAClock.objects.filter(ticket_kind=KIND, ticket_id=OuterRef("pk"), met_at__isnull=True)
    if value == "breached":
        return qs.filter(Exists(clocks.filter(breached_at__isnull=False)))
    if value == "at_risk":
        return qs.filter(Exists(clocks.filter(state=ClockState.RUNNING, warned_pct__gt=0)))
    return qs


# --- escalation ----------------------------------------------------------------------------------

EscalationRows = dict[int | None, list[tuple[int, str, str, int | None]]]


def _escalation_rows(organization_id: int | None = None, *, every: bool = False) -> EscalationRows:
    """Escalation steps by organisation (None: the default steps), in level order: the one
    organisation's and the default, or `every` organisation's (the sweep reads them once a run)."""
    qs = EscalationStep.objects.order_by("level", "pk")
    if not every:
        qs = qs.filter(Q(organization__isnull=True) | Q(organization_id=organization_id or 0))
    rows: EscalationRows = {}
    for org, level, recipient, role, user_id in qs.values_list("organization_id", "level", "recipient", "role",
                                                               "user_id"):
        rows.setdefault(org, []).append((level, recipient, role, user_id))
    return rows


def escalation_chain(organization_id: int | None, *,
                     cache: dict[Any, Any] | None = None) -> dict[int, list[tuple[str, str, int | None]]]:
    """Level → (recipient kind, role, user id): the organisation's own steps, else the default
    steps, else the built-in chain group lead → regional lead → project manager → customer contact.
    `cache`: a per-run memo (the sweep's), which reads every organisation's steps in one query."""
    if cache is not None:
        if "escalation_rows" not in cache:
            cache["escalation_rows"] = _escalation_rows(every=True)
        by_org: EscalationRows = cache["escalation_rows"]
    else:
        by_org = _escalation_rows(organization_id)
    rows = (by_org.get(organization_id) if organization_id else None) or by_org.get(None)
    if not rows:
        return {level: [(kind, role, None) for kind, role in steps] for level, steps in DEFAULT_CHAIN.items()}
    chain: dict[int, list[tuple[str, str, int | None]]] = {}
    for level, recipient, role, user_id in rows:
        chain.setdefault(level, []).append((recipient, role, user_id))
    return chain


def _role_user_ids(role: str, cache: dict[Any, Any] | None) -> list[int]:
    key = ("role", role)
    if cache is not None and key in cache:
        return list(cache[key])
    ids = list(get_user_model().objects.filter(role=role, is_active=True).order_by("pk")
               .values_list("pk", flat=True)[:MAX_ROLE_RECIPIENTS])
    if cache is not None:
        cache[key] = ids
    return ids


def escalation_recipients(incident: Incident, *, level: int,
                          cache: dict[Any, Any] | None = None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Who is told at `level`: people for the timeline, and the notification context's additions.
    `cache`: a per-run memo (the sweep's) for chains and role members."""
    people: list[dict[str, Any]] = []
    user_ids: list[int] = []
    extra: dict[str, Any] = {}
    for kind, role, user_id in escalation_chain(incident.organization_id, cache=cache).get(level, []):
        if kind == EscalationRecipient.GROUP_LEAD:
            lead_id = incident.group.lead_id if incident.group_id and incident.group else None
            if lead_id:
                user_ids.append(lead_id)
                people.append({"kind": kind, "user": lead_id})
        elif kind == EscalationRecipient.ROLE and role:
            ids = _role_user_ids(role, cache)
            user_ids.extend(ids)
            people.extend({"kind": kind, "role": role, "user": pk} for pk in ids)
        elif kind == EscalationRecipient.USER and user_id:
            user_ids.append(user_id)
            people.append({"kind": kind, "user": user_id})
        elif kind == EscalationRecipient.CUSTOMER_CONTACT and incident.contact_id and incident.contact:
            contact = incident.contact
            people.append({"kind": kind, "contact": contact.pk, "name": contact.name})
            if contact.user_id:
                user_ids.append(contact.user_id)
            extra.update({"contact_name": contact.name, "contact_email": contact.email,
                          "contact_phone": contact.phone, "contact_user_id": contact.user_id})
    extra["target_user_ids"] = sorted(set(user_ids))
    return people, extra


# --- notifications (after commit, through a task) ------------------------------------------------

def _stamp(value: datetime) -> int:
    return int(value.timestamp())


def _context(incident: Incident, *, title: str, body: str, extra: dict[str, Any] | None) -> dict[str, Any]:
    group_lead = incident.group.lead_id if incident.group_id and incident.group else None
    context: dict[str, Any] = {
        "title": title, "body": body, "link": f"/incidents/{incident.pk}/", "number": incident.number,
        "assignee_id": incident.assignee_id, "group_lead_id": group_lead,
    }
    if incident.contact_id and incident.contact:
        context.update({"contact_name": incident.contact.name, "contact_email": incident.contact.email,
                        "contact_phone": incident.contact.phone, "contact_user_id": incident.contact.user_id})
    context.update(extra or {})
    return context


def _payload(incident: Incident, *, event: str, dedup_key: str, title: str, body: str,
             extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """One notification as the task takes it (`notification_emit`'s arguments, JSON-safe)."""
    return {"event": event, "fault_level": incident.fault_level, "organization_id": incident.organization_id,
            "context": _context(incident, title=str(title), body=str(body), extra=extra), "dedup_key": dedup_key}


def _queue_notifications(payloads: list[dict[str, Any]]) -> None:
    """One task message for a whole list: a sweep chunk's notifications cost one broker round
    trip, not one per notification."""
    from .tasks import sla_notify_batch_task

    sla_notify_batch_task.delay(payloads)


def _notify_on_commit(payloads: list[dict[str, Any]]) -> None:
    """Queue the notifications once the transaction commits (never for work that is rolled back)."""
    if payloads:
        transaction.on_commit(partial(_queue_notifications, payloads), robust=True)


def _notify(incident: Incident, *, event: str, dedup_key: str, title: str, body: str,
            extra: dict[str, Any] | None = None) -> None:
    _notify_on_commit([_payload(incident, event=event, dedup_key=dedup_key, title=title, body=body, extra=extra)])


# --- the sweep -----------------------------------------------------------------------------------
#
# Set-based per chunk of clocks, in one transaction, with a fixed number of statements whatever the
# chunk's size: lock the chunk's incidents (one SELECT … FOR UPDATE, id order), decide every
# clock's step in Python, claim all clocks with one conditional UPDATE, write the winners' events
# with one INSERT and the incidents' chain heads / escalation levels with one UPDATE, and queue the
# notifications with one task message on commit.

@dataclass
class SweepSummary:
    checked: int = 0
    warnings: int = 0
    breaches: int = 0
    escalations: int = 0
    reminders: int = 0
    closed: int = 0
    lost: int = 0  # another worker or a service got there first

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)

    def add(self, other: SweepSummary) -> None:
        for name, value in other.__dict__.items():
            setattr(self, name, getattr(self, name) + value)


class SweepConflict(RuntimeError):
    """An incident the sweep holds locked was written by someone else: the chunk is rolled back."""


def _lock_incidents(ids: set[int]) -> dict[int, Incident]:
    """Row-lock a chunk's incidents in id order: every sweep takes them in the same order, and the
    services lock one incident at a time, so no two writers wait for each other in a cycle."""
    qs = (Incident.objects.select_for_update(of=("self",)).select_related("group", "contact")
          .filter(pk__in=ids).order_by("pk"))
    return {incident.pk: incident for incident in qs}


@dataclass(frozen=True)
class PlannedStep:
    """One clock's step, decided before the claim: the clock as read, what the claim writes, and
    the effects that follow if (and only if) the claim wins."""

    clock: DueClock
    change: ClockChange
    effect: str = ""  # "warning" | "breach" | "reminder"; "": only the clock moves on
    pct: int = 0  # warning: the threshold passed
    escalate_to: int = 0  # the escalation level this step climbs to (0: none)
    reason: str = ""  # why it climbs: "breach" | "still_breached"
    next_due: datetime | None = None  # reminder: when the next progress update is due
    quiet: bool = False  # losing this claim is not worth counting (a progress clock without interval)
    late: tuple[tuple[int, datetime], ...] = ()  # thresholds crossed while no sweep ran: (pct, instant)


def _plan_target(clock: DueClock, *, level: int, policy: ResolvedPolicy, now: datetime) -> PlannedStep:
    """A running target: nothing yet, a warning (the highest threshold passed), or the breach,
    which climbs one escalation level unless the incident is at the top already. Thresholds a late
    sweep missed ride along as `late`; the claim's `warned_pct` covers them, so they are recorded once."""
    step = sweep_step(now=now, due=clock.due_at, warnings=clock.warnings, warned_pct=clock.warned_pct)
    if step.kind == "none":
        return PlannedStep(clock, ClockChange(next_check_at=step.next_check_at))
    if step.kind == "warning":
        return PlannedStep(clock, ClockChange(next_check_at=step.next_check_at, warned_pct=step.pct),
                           effect="warning", pct=step.pct, late=step.late)
    escalating = level < MAX_ESCALATION
    level_after = min(level + 1, MAX_ESCALATION)
    top = max((pct for pct, _at in clock.warnings), default=clock.warned_pct)
    next_check = (clock.due_at + policy.escalation_step
                  if policy.escalation_step and level_after < MAX_ESCALATION else None)
    change = ClockChange(next_check_at=next_check, state=ClockState.BREACHED, breached_at=clock.due_at,
                         warned_pct=max(top, clock.warned_pct),
                         escalations=clock.escalations + (1 if escalating else 0))
    return PlannedStep(clock, change, effect="breach", escalate_to=level + 1 if escalating else 0, reason="breach",
                       late=step.late)


def _plan_repeat_escalation(clock: DueClock, *, level: int, policy: ResolvedPolicy) -> PlannedStep:
    """SLAPolicy.escalation_step: while a target stays breached and unmet, climb again every step."""
    escalating = level < MAX_ESCALATION
    level_after = min(level + 1, MAX_ESCALATION)
    count = clock.escalations + (1 if escalating else 0)
    base = clock.breached_at or clock.due_at
    next_check = (base + policy.escalation_step * count
                  if escalating and policy.escalation_step and level_after < MAX_ESCALATION else None)
    return PlannedStep(clock, ClockChange(next_check_at=next_check, escalations=count),
                       escalate_to=level + 1 if escalating else 0, reason="still_breached")


def _plan_progress(clock: DueClock, *, policy: ResolvedPolicy, now: datetime) -> PlannedStep:
    """A missed progress update: one reminder, and the clock rolls on to the next interval."""
    if now < clock.due_at:
        return PlannedStep(clock, ClockChange(next_check_at=clock.due_at))
    rolled = progress_roll(started=clock.started_at, due=clock.due_at, now=now, business=clock.business,
                           calendar=policy.calendar)
    if rolled is None:
        return PlannedStep(clock, ClockChange(next_check_at=None), quiet=True)
    start, due = rolled
    return PlannedStep(clock, ClockChange(next_check_at=due, started_at=start, due_at=due, warned_pct=0, warnings=[]),
                       effect="reminder", next_due=due)


def _plan_step(clock: DueClock, *, level: int, policy: ResolvedPolicy, now: datetime) -> PlannedStep:
    if clock.state == ClockState.BREACHED:
        return _plan_repeat_escalation(clock, level=level, policy=policy)
    if clock.target == T.PROGRESS:
        return _plan_progress(clock, policy=policy, now=now)
    return _plan_target(clock, level=level, policy=policy, now=now)


def _plan_chunk(clocks: list[DueClock], incidents: dict[int, Incident], *, now: datetime,
                memo: PolicyMemo) -> list[PlannedStep]:
    """Every clock's step, in the chunk's order (oldest check first). Several clocks of one incident
    see the escalation level the earlier ones leave: a breach at level 3 climbs to 4, a second
    breach of the same incident in the chunk stays at 4. Writes nothing."""
    levels = {pk: incident.escalation_level for pk, incident in incidents.items()}
    failed: set[int] = set()
    steps: list[PlannedStep] = []
    for clock in clocks:
        pk = clock.ticket_id
        if pk not in incidents or pk in failed:
            continue
        try:
            step = _plan_step(clock, level=levels[pk], policy=memo.get(incidents[pk].organization_id), now=now)
        except Exception:  # noqa: BLE001 - logged; the clock is tried again next sweep
            logger.exception("SLA sweep failed on clock %s", clock.id)
            failed.add(pk)  # its later clocks would be planned on a level this one might have raised
            continue
        if step.escalate_to:
            levels[pk] = step.escalate_to
        steps.append(step)
    return steps


def _claim_chunk(clocks: list[DueClock], incidents: dict[int, Incident], *, now: datetime, memo: PolicyMemo,
                 summary: SweepSummary) -> list[PlannedStep]:
    """Plan the chunk and claim its clocks with one conditional UPDATE; return the steps that won.

    A clock loses when it changed after the sweep read it (met, paused or re-planned by a service,
    or advanced by another sweep) and before this sweep locked its incident. The incident's other
    steps may then have been planned on an escalation the lost one would have caused, so the claim
    is undone (savepoint) and the chunk planned again without the losers. Once the incidents are
    locked nobody else can change their clocks, so this repeats at most once in practice."""
    lost: set[int] = set()
    while True:
        steps = _plan_chunk([c for c in clocks if c.id not in lost], incidents, now=now, memo=memo)
        savepoint = transaction.savepoint_create()
        won = clocks_claim([(step.clock, step.change) for step in steps])
        losers = [step for step in steps if step.clock.id not in won]
        if not losers:
            transaction.savepoint_commit(savepoint)
            return steps
        transaction.savepoint_rollback(savepoint)
        lost.update(step.clock.id for step in losers)
        summary.lost += sum(1 for step in losers if not step.quiet)


def _step_effects(incident: Incident, step: PlannedStep, *, now: datetime, cache: dict[Any, Any],
                  summary: SweepSummary) -> tuple[list[tuple[str, dict[str, Any]]], list[dict[str, Any]]]:
    """The timeline entries (action, data) and notifications of one step that won its claim, in
    the order they happen; an escalation also raises `incident.escalation_level` in memory."""
    clock = step.clock
    label = T(clock.target).label
    started = _stamp(clock.started_at)
    entries: list[tuple[str, dict[str, Any]]] = []
    notes: list[dict[str, Any]] = []
    for pct, crossed_at in step.late:  # recorded, not notified: the newer warning or the breach is the news
        summary.warnings += 1
        entries.append((EventAction.SLA_WARNING, {"target": clock.target, "pct": pct, "due_at": clock.due_at,
                                                  "late": True, "crossed_at": crossed_at}))
    if step.effect == "warning":
        summary.warnings += 1
        entries.append((EventAction.SLA_WARNING, {"target": clock.target, "pct": step.pct, "due_at": clock.due_at,
                                                  "late": False}))
        notes.append(_payload(
            incident, event="sla.warning", dedup_key=f"sla:{clock.id}:{started}:warning:{step.pct}",
            title=_("%(number)s: %(pct)d%% of the %(target)s time used") % {
                "number": incident.number, "pct": step.pct, "target": label},
            body=_("Due at %(due)s.") % {"due": clock.due_at.isoformat()}))
    elif step.effect == "breach":
        summary.breaches += 1
        entries.append((EventAction.SLA_BREACH, {"target": clock.target, "due_at": clock.due_at}))
        report = clock.target == T.REPORT
        notes.append(_payload(
            incident, event="report.overdue" if report else "sla.breach",
            dedup_key=f"sla:{clock.id}:{started}:breach",
            title=(_("%(number)s: fault report overdue") if report else _("%(number)s: %(target)s target breached"))
            % {"number": incident.number, "target": label},
            body=_("Was due at %(due)s.") % {"due": clock.due_at.isoformat()}))
    elif step.effect == "reminder":
        summary.reminders += 1
        entries.append((EventAction.PROGRESS, {"reminder": True, "missed_due_at": clock.due_at,
                                               "next_due_at": step.next_due}))
        notes.append(_payload(
            incident, event="progress.overdue", dedup_key=f"sla:{clock.id}:progress:{_stamp(clock.due_at)}",
            title=_("%(number)s: progress update overdue") % {"number": incident.number},
            body=_("The next update is due at %(due)s.") % {"due": step.next_due.isoformat() if step.next_due else ""}))
    if step.escalate_to:
        old = incident.escalation_level
        if step.escalate_to != old + 1 or step.escalate_to > MAX_ESCALATION:
            raise SweepConflict(f"incident {incident.pk}: planned escalation to {step.escalate_to} from {old}")
        incident.escalation_level = step.escalate_to
        summary.escalations += 1
        people, extra = escalation_recipients(incident, level=step.escalate_to, cache=cache)
        entries.append((EventAction.ESCALATED, {"level": step.escalate_to, "from": old, "target": clock.target,
                                                "reason": step.reason, "recipients": people}))
        notes.append(_payload(
            incident, event="escalation", dedup_key=f"sla:{clock.id}:{started}:escalate:{step.escalate_to}",
            title=_("%(number)s escalated to level %(level)d (%(target)s)") % {
                "number": incident.number, "level": step.escalate_to, "target": label},
            body=incident.title, extra=extra))
    return entries, notes


def _nearest_due(incident_ids: list[int]) -> dict[int, datetime | None]:
    """Each incident's nearest unmet, running due time (its `sla_next_due`), read after the claim
    moved its progress clock on."""
    if not incident_ids:
        return {}
    nearest: dict[int, datetime | None] = dict.fromkeys(incident_ids)
    rows = (SLAClock.objects.filter(ticket_kind=KIND, ticket_id__in=incident_ids, met_at__isnull=True,
                                    paused_at__isnull=True)
            .values("ticket_id").annotate(nearest=Min("due_at")).order_by())
    nearest.update({row["ticket_id"]: row["nearest"] for row in rows})
    return nearest


@dataclass(frozen=True)
class IncidentHead:
    """An incident's row after the chunk: chain head and escalation level, checked against the
    values read under the lock; `sla_next_due` only when a reminder moved it."""

    id: int
    read_seq: int
    read_level: int
    audit_seq: int
    audit_head: str
    escalation_level: int
    set_next_due: bool
    sla_next_due: datetime | None


_HEAD_COLUMNS = (
    ("incident_id", "bigint"), ("read_seq", "integer"), ("read_level", "integer"), ("audit_seq", "integer"),
    ("audit_head", "varchar"), ("escalation_level", "integer"), ("set_next_due", "integer"),
    ("sla_next_due", "timestamptz"),
)


def _store_heads(heads: list[IncidentHead]) -> None:
    """One UPDATE for the chunk's incidents. Conditional on the chain head and escalation level read
    under the lock, and never above the top level: a miss means someone wrote an incident this
    sweep holds locked, and the chunk is rolled back rather than leave a chain or a level half
    written."""
    if not heads:
        return
    rows = [(h.id, h.read_seq, h.read_level, h.audit_seq, h.audit_head, h.escalation_level, int(h.set_next_due),
             h.sla_next_due) for h in heads]
    cte, params = values_cte("v", _HEAD_COLUMNS, rows)
    table = connection.ops.quote_name(Incident._meta.db_table)
    sql = f"""
        WITH {cte}
        UPDATE {table} AS i SET
            audit_seq = v.audit_seq, audit_head = v.audit_head, escalation_level = v.escalation_level,
            sla_next_due = CASE WHEN v.set_next_due = 1 THEN v.sla_next_due ELSE i.sla_next_due END
        FROM v
        WHERE i.id = v.incident_id AND i.audit_seq = v.read_seq AND i.escalation_level = v.read_level
          AND v.escalation_level <= {MAX_ESCALATION}
        RETURNING id"""  # counted from RETURNING: sqlite3 reports no rowcount for a WITH statement
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        missed = len(heads) - len(cursor.fetchall())
    if missed:
        raise SweepConflict(f"{missed} of {len(heads)} incidents changed under the lock")


def _write_effects(steps: list[PlannedStep], incidents: dict[int, Incident], *, now: datetime,
                   cache: dict[Any, Any], summary: SweepSummary) -> list[dict[str, Any]]:
    """The winners' effects: events chained per incident in the chunk's order (several events of
    one incident chain onto each other) and saved with one INSERT, then the incidents' rows with
    one UPDATE. Returns the notifications to queue when the chunk commits."""
    by_incident: dict[int, list[PlannedStep]] = {}
    for step in steps:
        by_incident.setdefault(step.clock.ticket_id, []).append(step)
    nearest = _nearest_due([pk for pk, its in by_incident.items() if any(s.effect == "reminder" for s in its)])
    events: list[TicketEvent] = []
    heads: list[IncidentHead] = []
    notes: list[dict[str, Any]] = []
    for pk, its_steps in by_incident.items():
        incident = incidents[pk]
        read_seq, read_level = incident.audit_seq, incident.escalation_level
        entries: list[tuple[str, dict[str, Any]]] = []
        for step in its_steps:
            step_entries, step_notes = _step_effects(incident, step, now=now, cache=cache, summary=summary)
            entries.extend(step_entries)
            notes.extend(step_notes)
        if not entries and pk not in nearest:
            continue  # only its clocks moved on
        events.extend(events_chain(ticket=incident, entries=entries, now=now))
        heads.append(IncidentHead(id=pk, read_seq=read_seq, read_level=read_level, audit_seq=incident.audit_seq,
                                  audit_head=incident.audit_head, escalation_level=incident.escalation_level,
                                  set_next_due=pk in nearest, sla_next_due=nearest.get(pk)))
        if pk in nearest:
            incident.sla_next_due = nearest[pk]
    TicketEvent.objects.bulk_create(events)
    _store_heads(heads)
    return notes


def _auto_close(*, now: datetime, batch: int, summary: SweepSummary) -> None:
    """Observation periods that ended without recurrence close the incident (as the system user)."""
    from opsdesk.errors import ConflictError, TransitionNotAllowed

    from .services import incident_transition

    ids = list(Incident.objects.filter(status=IncidentStatus.OBSERVING, observation_until__lte=now)
               .order_by("observation_until", "pk").values_list("pk", flat=True)[:batch])
    if not ids:
        return
    actor = system_actor()
    for pk in ids:
        try:
            with transaction.atomic():
                incident = incident_transition(incident_id=pk, actor=actor, action="close", now=now,
                                               payload={"reason": "observation_ended"})
                _notify(incident, event="observation.closed", dedup_key=f"inc:{pk}:observation-closed",
                        title=_("%(number)s closed: the observation period ended") % {"number": incident.number},
                        body=incident.title)
        except (TransitionNotAllowed, ConflictError, Incident.DoesNotExist):
            continue  # closed, reopened or changed meanwhile: nothing to do
        summary.closed += 1


def _sweep_chunk(clocks: list[DueClock], *, now: datetime, memo: PolicyMemo, summary: SweepSummary) -> None:
    """One transaction: lock, plan + claim, write the effects, queue the notifications on commit.
    The chunk's counts join the summary only once it committed."""
    counts = SweepSummary(checked=len(clocks))
    with transaction.atomic():
        incidents = _lock_incidents({c.ticket_id for c in clocks})  # lock order: incident, then clock
        steps = _claim_chunk(clocks, incidents, now=now, memo=memo, summary=counts)
        notes = _write_effects(steps, incidents, now=now, cache=memo.cache, summary=counts)
        _notify_on_commit(notes)
    summary.add(counts)


def sla_sweep(*, now: datetime, batch: int = 1000, chunk: int = 200, close_batch: int = 200) -> SweepSummary:
    """One pass of the beat sweep: every clock whose next check has come (at most `batch`, oldest
    first), then observation periods that ended (at most `close_batch`). Safe to run twice or on
    several workers: each clock advances only through its conditional claim.

    Clocks are handled in chunks of `chunk` per transaction with a fixed number of statements per
    chunk (see above): a thousand due clocks cost a few dozen round trips, not thousands. A chunk
    that fails (e.g. a deadlock victim) is rolled back whole and retried by the next sweep."""
    summary = SweepSummary()
    memo = PolicyMemo(now=now)
    due = clocks_due(now=now, limit=batch, ticket_kind=KIND)
    for start in range(0, len(due), chunk):
        try:
            _sweep_chunk(due[start:start + chunk], now=now, memo=memo, summary=summary)
        except Exception:  # noqa: BLE001 - logged; the chunk is retried next sweep
            logger.exception("SLA sweep chunk failed")
    _auto_close(now=now, batch=close_batch, summary=summary)
    return summary
