"""The beat sweep: thresholds, breaches, escalations and progress reminders, claimed with
conditional UPDATEs (see the package docstring), then observation periods that ended."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Min
from django.utils.translation import gettext_noop

from notifications.messages import choice_msgid, msg, term, when
from tickets.audit import events_chain
from tickets.choices import ClockState, EventAction
from tickets.clocks import (
    ClockChange,
    DueClock,
    clocks_claim,
    clocks_due,
    values_cte,
)
from tickets.models import SLAClock, TicketEvent
from tickets.sla.clock import progress_roll, sweep_step
from tickets.sla_config import PolicyMemo, ResolvedPolicy

from ..models import Incident
from .escalation import breach_recipients, escalation_recipients
from .notify import epoch, notification_payload, notify_on_commit, queue_notifications
from .policy import KIND, MAX_ESCALATION, T

logger = logging.getLogger(__name__)

# The sweep's notifications go through this name (a test or a benchmark may replace it).
_queue_notifications = queue_notifications

# Work the sweep does after the clocks that needs the incident's transition service, a layer above
# this package: observation periods that ended close their incident (incidents/observation.py).
# IncidentsConfig.ready() registers it, so the engine never imports the services that import it.
Closer = Callable[..., int]
_closers: list[Closer] = []


def sweep_register_closer(closer: Closer) -> None:
    """Run `closer(now=…, batch=…)` (returns how many it closed) at the end of every sweep."""
    if closer not in _closers:
        _closers.append(closer)

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
    label = term(choice_msgid(T(clock.target).label))
    started = epoch(clock.started_at)
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
        notes.append(notification_payload(
            incident, event="sla.warning", dedup_key=f"sla:{clock.id}:{started}:warning:{step.pct}",
            title=msg(gettext_noop("%(number)s: %(pct)d%% of the %(target)s time used"), number=incident.number, pct=step.pct,
                      target=label),
            body=msg(gettext_noop("Due at %(due)s."), due=when(clock.due_at))))
    elif step.effect == "breach":
        summary.breaches += 1
        entries.append((EventAction.SLA_BREACH, {"target": clock.target, "due_at": clock.due_at}))
        report = clock.target == T.REPORT
        notes.append(notification_payload(
            incident, event="report.overdue" if report else "sla.breach",
            dedup_key=f"sla:{clock.id}:{started}:breach",
            title=msg(gettext_noop("%(number)s: fault report overdue") if report else gettext_noop("%(number)s: %(target)s target breached"),
                      number=incident.number, target=label),
            body=msg(gettext_noop("Was due at %(due)s."), due=when(clock.due_at)),
            extra={"fallback_user_ids": breach_recipients(incident, cache=cache)}))
    elif step.effect == "reminder":
        summary.reminders += 1
        entries.append((EventAction.PROGRESS, {"reminder": True, "missed_due_at": clock.due_at,
                                               "next_due_at": step.next_due}))
        notes.append(notification_payload(
            incident, event="progress.overdue", dedup_key=f"sla:{clock.id}:progress:{epoch(clock.due_at)}",
            title=msg(gettext_noop("%(number)s: progress update overdue"), number=incident.number),
            body=msg(gettext_noop("The next update is due at %(due)s."), due=when(step.next_due))))
    if step.escalate_to:
        old = incident.escalation_level
        if step.escalate_to != old + 1 or step.escalate_to > MAX_ESCALATION:
            raise SweepConflict(f"incident {incident.pk}: planned escalation to {step.escalate_to} from {old}")
        incident.escalation_level = step.escalate_to
        summary.escalations += 1
        people, extra = escalation_recipients(incident, level=step.escalate_to, cache=cache)
        entries.append((EventAction.ESCALATED, {"level": step.escalate_to, "from": old, "target": clock.target,
                                                "reason": step.reason, "recipients": people}))
        notes.append(notification_payload(
            incident, event="escalation", dedup_key=f"sla:{clock.id}:{started}:escalate:{step.escalate_to}",
            title=msg(gettext_noop("%(number)s escalated to level %(level)d (%(target)s)"), number=incident.number,
                      level=step.escalate_to, target=label),
            body=incident.title, extra={**extra, "fallback_user_ids": extra["target_user_ids"]}))
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
    """Observation periods that ended without recurrence close the incident (the registered closers)."""
    for closer in _closers:
        summary.closed += closer(now=now, batch=batch)


def _sweep_chunk(clocks: list[DueClock], *, now: datetime, memo: PolicyMemo, summary: SweepSummary) -> None:
    """One transaction: lock, plan + claim, write the effects, queue the notifications on commit.
    The chunk's counts join the summary only once it committed."""
    counts = SweepSummary(checked=len(clocks))
    with transaction.atomic():
        incidents = _lock_incidents({c.ticket_id for c in clocks})  # lock order: incident, then clock
        steps = _claim_chunk(clocks, incidents, now=now, memo=memo, summary=counts)
        notes = _write_effects(steps, incidents, now=now, cache=memo.cache, summary=counts)
        # looked up when the chunk commits, so a replaced `_queue_notifications` is the one called
        notify_on_commit(notes, queue=lambda payloads: _queue_notifications(payloads))  # noqa: PLW0108
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
