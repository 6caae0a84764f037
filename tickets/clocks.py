"""SLA clock services: the only writers of `SLAClock` rows (DESIGN.md rule 5).

A clock is started with a pure `ClockPlan` (tickets/sla/clock.py), met, paused, resumed, re-planned
or frozen by the ticket's own services (which hold the ticket's row lock), and advanced by the
sweep through `clocks_claim`: one conditional UPDATE per chunk that repeats, for every row, the
whole predicate the sweep read, so two sweeps, two workers, or a sweep racing a resolve advance a
clock exactly once."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection

from .choices import ClockKind, ClockState
from .models import SLAClock
from .sla.calendar import BusinessCalendar
from .sla.clock import ClockPlan, measure, shift

UNMET_STATES = (ClockState.RUNNING, ClockState.BREACHED)


def warnings_to_json(warnings: Iterable[tuple[int, datetime]]) -> list[dict[str, Any]]:
    return [{"pct": int(pct), "at": at.isoformat()} for pct, at in warnings]


def warnings_from_json(data: Any) -> list[tuple[int, datetime]]:
    return [(int(w["pct"]), datetime.fromisoformat(w["at"])) for w in data or ()]


def is_business(clock: SLAClock) -> bool:
    return clock.clock == ClockKind.BUSINESS


def clocks_of(*, ticket_kind: str, ticket_id: int) -> dict[str, SLAClock]:
    return {c.target: c for c in SLAClock.objects.filter(ticket_kind=ticket_kind, ticket_id=ticket_id)}


def _start_fields(*, organization_id: int, plan: ClockPlan, met_at: datetime | None,
                  paused_at: datetime | None) -> dict[str, Any]:
    state = ClockState.MET if met_at else (ClockState.PAUSED if paused_at else ClockState.RUNNING)
    return {
        "organization_id": organization_id,
        "clock": ClockKind.BUSINESS if plan.business else ClockKind.ALWAYS,
        "state": state, "started_at": plan.start, "due_at": plan.due_at,
        "warnings": warnings_to_json(plan.warnings), "warned_pct": 0,
        "next_check_at": None if (met_at or paused_at) else plan.next_check_at,
        "paused_at": None if met_at else paused_at, "met_at": met_at, "breached_at": None, "escalations": 0,
    }


def clock_start(*, ticket_kind: str, ticket_id: int, organization_id: int, plan: ClockPlan,
                met_at: datetime | None = None, paused_at: datetime | None = None) -> SLAClock:
    """Start (or restart from scratch) one target's clock. `met_at`: the target was already met
    (e.g. a level change adds a target the ticket has already reached); `paused_at`: it starts
    paused (the ticket is pending)."""
    clock, _created = SLAClock.objects.update_or_create(
        ticket_kind=ticket_kind, ticket_id=ticket_id, target=plan.target,
        defaults=_start_fields(organization_id=organization_id, plan=plan, met_at=met_at, paused_at=paused_at),
    )
    return clock


def clocks_start_new(*, ticket_kind: str, ticket_id: int, organization_id: int,
                     plans: Iterable[ClockPlan]) -> list[SLAClock]:
    """The first clocks of a ticket that was just created (it has none yet): the rows
    `clock_start` would write, in one INSERT instead of a savepoint, a SELECT and an INSERT each."""
    return SLAClock.objects.bulk_create([
        SLAClock(ticket_kind=ticket_kind, ticket_id=ticket_id, target=plan.target,
                 **_start_fields(organization_id=organization_id, plan=plan, met_at=None, paused_at=None))
        for plan in plans
    ])


def clock_replan(clock: SLAClock, *, plan: ClockPlan, extra: timedelta, calendar: BusinessCalendar) -> SLAClock:
    """A new target for an unmet clock, counted from its original start (`plan.start`); `extra`
    is the time it was paused so far, added on the new clock's kind. Warnings already sent stay
    sent; a breached clock stays breached (its breach is history) but gets the new due time."""
    due = shift(plan.due_at, extra, business=plan.business, calendar=calendar)
    warnings = [(pct, shift(at, extra, business=plan.business, calendar=calendar)) for pct, at in plan.warnings]
    clock.clock = ClockKind.BUSINESS if plan.business else ClockKind.ALWAYS
    clock.due_at = due
    clock.warnings = warnings_to_json(warnings)
    if clock.state == ClockState.RUNNING:
        pending = [at for pct, at in warnings if pct > clock.warned_pct]
        clock.next_check_at = pending[0] if pending else due
    clock.save(update_fields=["clock", "due_at", "warnings", "next_check_at"])
    return clock


def paused_so_far(clock: SLAClock, *, plan_due_without_pause: datetime, calendar: BusinessCalendar) -> timedelta:
    """How much a clock's due time was pushed by pauses: its due time minus the due time its
    target would have from the same start, measured on its kind of time."""
    return measure(plan_due_without_pause, clock.due_at, business=is_business(clock), calendar=calendar)


def clocks_meet(*, ticket_kind: str, ticket_id: int, targets: Iterable[str], now: datetime) -> list[str]:
    """Mark the targets met now (running, breached or paused clocks alike); return which were."""
    targets = list(targets)
    met = list(SLAClock.objects.filter(ticket_kind=ticket_kind, ticket_id=ticket_id, target__in=targets,
                                       met_at__isnull=True).values_list("target", flat=True))
    if met:
        SLAClock.objects.filter(ticket_kind=ticket_kind, ticket_id=ticket_id, target__in=met,
                                met_at__isnull=True).update(
            met_at=now, state=ClockState.MET, next_check_at=None, paused_at=None)
    return met


def clocks_pause(*, ticket_kind: str, ticket_id: int, now: datetime, exclude: Iterable[str] = ()) -> int:
    """Stop every unmet clock counting (pending the customer; or frozen when the ticket is closed
    or cancelled): nothing is checked until it resumes."""
    return (SLAClock.objects.filter(ticket_kind=ticket_kind, ticket_id=ticket_id, met_at__isnull=True,
                                    paused_at__isnull=True)
            .exclude(target__in=list(exclude))
            .update(state=ClockState.PAUSED, paused_at=now, next_check_at=None))


def clocks_resume(*, ticket_kind: str, ticket_id: int, now: datetime, calendar: BusinessCalendar,
                  escalation_step: timedelta | None, targets: Iterable[str] | None = None) -> list[SLAClock]:
    """Start paused clocks again with the time they had left: the due time and pending warnings
    move by the paused time counted on the clock's kind (business time for business clocks, so a
    weekend pause costs nothing). A breached clock resumes its escalation timer from now."""
    qs = SLAClock.objects.filter(ticket_kind=ticket_kind, ticket_id=ticket_id, met_at__isnull=True,
                                 paused_at__isnull=False)
    if targets is not None:
        qs = qs.filter(target__in=list(targets))
    resumed: list[SLAClock] = []
    for clock in qs.select_for_update():
        assert clock.paused_at is not None
        business = is_business(clock)
        paused = measure(clock.paused_at, now, business=business, calendar=calendar)
        if clock.breached_at is None:
            clock.due_at = shift(clock.due_at, paused, business=business, calendar=calendar)
            warnings = warnings_from_json(clock.warnings)
            moved = [(pct, shift(at, paused, business=business, calendar=calendar) if pct > clock.warned_pct else at)
                     for pct, at in warnings]
            clock.warnings = warnings_to_json(moved)
            pending = [at for pct, at in moved if pct > clock.warned_pct]
            clock.state = ClockState.RUNNING
            clock.next_check_at = pending[0] if pending else clock.due_at
        else:
            clock.state = ClockState.BREACHED
            clock.next_check_at = now + escalation_step if escalation_step else None
        clock.paused_at = None
        clock.save(update_fields=["due_at", "warnings", "state", "next_check_at", "paused_at"])
        resumed.append(clock)
    return resumed


# --- the sweep ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class DueClock:
    """A clock row as the sweep read it: every value the claim re-checks."""

    id: int
    ticket_kind: str
    ticket_id: int
    organization_id: int
    target: str
    clock: str
    state: str
    started_at: datetime
    due_at: datetime
    warnings: list[tuple[int, datetime]]
    warned_pct: int
    next_check_at: datetime
    breached_at: datetime | None
    escalations: int

    @property
    def business(self) -> bool:
        return self.clock == ClockKind.BUSINESS


DUE_FIELDS = ("id", "ticket_kind", "ticket_id", "organization_id", "target", "clock", "state", "started_at",
              "due_at", "warnings", "warned_pct", "next_check_at", "breached_at", "escalations")


def _due_clock(row: dict[str, Any]) -> DueClock:
    return DueClock(**{**row, "warnings": warnings_from_json(row["warnings"])})


def clocks_due(*, now: datetime, limit: int, ticket_kind: str | None = None) -> list[DueClock]:
    """Clocks whose next check has come, oldest first (the partial index `sla_clock_sweep`)."""
    qs = SLAClock.objects.filter(next_check_at__lte=now)
    if ticket_kind is not None:
        qs = qs.filter(ticket_kind=ticket_kind)
    return [_due_clock(r) for r in qs.order_by("next_check_at", "id").values(*DUE_FIELDS)[:limit]]


@dataclass(frozen=True)
class ClockChange:
    """What a sweep step writes to a clock it claims: `next_check_at` always (None: nothing left
    to check); every other field only when given (None: unchanged)."""

    next_check_at: datetime | None
    state: str | None = None
    started_at: datetime | None = None
    due_at: datetime | None = None
    warnings: list[tuple[int, datetime]] | None = None
    warned_pct: int | None = None
    breached_at: datetime | None = None
    escalations: int | None = None


# (column, PostgreSQL type) of the claim's VALUES rows: the values the sweep read, then the change.
_CLAIM_COLUMNS = (
    ("clock_id", "bigint"), ("read_next_check_at", "timestamptz"), ("read_state", "varchar"),
    ("read_due_at", "timestamptz"), ("read_warned_pct", "integer"), ("read_escalations", "integer"),
    ("read_breached_at", "timestamptz"),
    ("next_check_at", "timestamptz"), ("state", "varchar"), ("started_at", "timestamptz"), ("due_at", "timestamptz"),
    ("warnings", "jsonb"), ("warned_pct", "integer"), ("breached_at", "timestamptz"), ("escalations", "integer"),
)


def values_cte(name: str, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[Any]]) -> tuple[str, list[Any]]:
    """`name(col, …) AS (…)`: many rows, each with its own values, as a table for one
    `WITH … UPDATE … FROM name` statement; returns the SQL and its parameters. `columns` are
    (name, PostgreSQL type). PostgreSQL gets one typed array per column through unnest(): a few
    parameters whatever the number of rows, so neither psycopg nor the server parses thousands of
    literals. Elsewhere (SQLite ≥ 3.35) a plain VALUES list, the values as Django stores them
    there (datetimes as UTC text, JSON as text)."""
    names = ", ".join(column for column, _type in columns)
    values = [[_sql_value(value) for value in row] for row in rows]
    if connection.vendor == "postgresql":
        arrays = ", ".join(f"%s::{sql_type}[]" for _name, sql_type in columns)
        return f"{name}({names}) AS (SELECT * FROM unnest({arrays}))", [list(col) for col in zip(*values, strict=True)]
    row_sql = "(" + ", ".join("%s" for _column in columns) + ")"
    return (f"{name}({names}) AS (VALUES {', '.join([row_sql] * len(rows))})",
            [value for row in values for value in row])


def _sql_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, list | dict):
        return json.dumps(value)
    return value


def clocks_claim(claims: Sequence[tuple[DueClock, ClockChange]]) -> set[int]:
    """Advance many clocks the sweep read, each if and only if it is still exactly as read: same
    next check, state, due time, warnings sent, breach and escalations, still unmet and not paused.
    One conditional UPDATE for all of them, the predicate repeated per row; returns the ids of the
    clocks this caller won (only their effects may happen). Two sweeps, or a sweep racing a
    service that met or paused a clock, advance it exactly once."""
    if not claims:
        return set()
    rows = [
        (clock.id, clock.next_check_at, clock.state, clock.due_at, clock.warned_pct, clock.escalations,
         clock.breached_at, change.next_check_at, change.state, change.started_at, change.due_at,
         None if change.warnings is None else warnings_to_json(change.warnings), change.warned_pct,
         change.breached_at, change.escalations)
        for clock, change in claims
    ]
    cte, params = values_cte("v", _CLAIM_COLUMNS, rows)
    table = connection.ops.quote_name(SLAClock._meta.db_table)
    # COALESCE: a change leaves the columns it does not name as they are. `RETURNING id` unqualified
    # (SQLite allows no table name there), hence `clock_id` in the VALUES.
    sql = f"""
        WITH {cte}
        UPDATE {table} AS c SET
            next_check_at = v.next_check_at,
            state = COALESCE(v.state, c.state),
            started_at = COALESCE(v.started_at, c.started_at),
            due_at = COALESCE(v.due_at, c.due_at),
            warnings = COALESCE(v.warnings, c.warnings),
            warned_pct = COALESCE(v.warned_pct, c.warned_pct),
            breached_at = COALESCE(v.breached_at, c.breached_at),
            escalations = COALESCE(v.escalations, c.escalations)
        FROM v
        WHERE c.id = v.clock_id AND c.next_check_at = v.read_next_check_at AND c.state = v.read_state
          AND c.due_at = v.read_due_at AND c.warned_pct = v.read_warned_pct AND c.escalations = v.read_escalations
          AND (c.breached_at = v.read_breached_at OR (c.breached_at IS NULL AND v.read_breached_at IS NULL))
          AND c.met_at IS NULL AND c.paused_at IS NULL
        RETURNING id"""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()}
