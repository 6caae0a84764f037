"""SLA clock arithmetic: pure, no database (DESIGN.md rule 5).

A clock measures one target on one of two kinds of time: wall-clock (24×7) or business time on a
`BusinessCalendar`. These functions say when it falls due, when its warning thresholds pass, how
much time is left, how a pause moves it, and build a calendar from plain configuration data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .calendar import BusinessCalendar, Period


@dataclass(frozen=True)
class TargetSpec:
    """One target as configured: a duration on the clock's kind, or whole business days."""

    target: str
    duration: timedelta | None = None
    business_days: int | None = None
    business: bool = False

    @property
    def counts_business_time(self) -> bool:
        return self.business or self.business_days is not None

    @property
    def defined(self) -> bool:
        return self.duration is not None or self.business_days is not None


@dataclass(frozen=True)
class ClockPlan:
    target: str
    business: bool
    start: datetime
    due_at: datetime
    warnings: tuple[tuple[int, datetime], ...]

    @property
    def next_check_at(self) -> datetime:
        return self.warnings[0][1] if self.warnings else self.due_at


def elapse(start: datetime, duration: timedelta, *, business: bool, calendar: BusinessCalendar) -> datetime:
    """The instant `duration` of the clock's kind of time after `start`."""
    if duration < timedelta(0):
        raise ValueError("duration must not be negative")
    return calendar.add(start, duration) if business else start + duration


def measure(start: datetime, end: datetime, *, business: bool, calendar: BusinessCalendar) -> timedelta:
    """Time of the clock's kind from `start` to `end` (zero when end is not after start)."""
    if end <= start:
        return timedelta(0)
    return calendar.between(start, end) if business else end - start


def due_at(spec: TargetSpec, *, start: datetime, calendar: BusinessCalendar) -> datetime | None:
    if spec.business_days is not None:
        return calendar.add_days(start, spec.business_days)
    if spec.duration is None:
        return None
    return elapse(start, spec.duration, business=spec.business, calendar=calendar)


def warning_instants(*, start: datetime, due: datetime, thresholds: Iterable[int], business: bool,
                     calendar: BusinessCalendar) -> tuple[tuple[int, datetime], ...]:
    """(pct, instant) for each threshold in 1..99: start + pct% of the target's length, measured on
    the clock's kind of time; ascending, without duplicates."""
    total = measure(start, due, business=business, calendar=calendar)
    out: list[tuple[int, datetime]] = []
    for pct in sorted({int(p) for p in thresholds if 0 < int(p) < 100}):
        out.append((pct, elapse(start, total * pct / 100, business=business, calendar=calendar)))
    return tuple(out)


def clock_plan(spec: TargetSpec, *, start: datetime, calendar: BusinessCalendar,
               thresholds: Iterable[int]) -> ClockPlan | None:
    """Due time and warning instants of a target whose clock starts at `start` (None: no target)."""
    due = due_at(spec, start=start, calendar=calendar)
    if due is None:
        return None
    business = spec.counts_business_time
    warnings = warning_instants(start=start, due=due, thresholds=thresholds, business=business, calendar=calendar)
    return ClockPlan(target=spec.target, business=business, start=start, due_at=due, warnings=warnings)


def remaining(*, now: datetime, due: datetime, business: bool, calendar: BusinessCalendar) -> timedelta:
    """Time left until `due` on the clock's kind; negative (wall or business time) once overdue."""
    if now <= due:
        return measure(now, due, business=business, calendar=calendar)
    return -measure(due, now, business=business, calendar=calendar)


def shift(instant: datetime, paused: timedelta, *, business: bool, calendar: BusinessCalendar) -> datetime:
    """Move an instant later by the time a clock was paused, counted on the clock's kind."""
    return elapse(instant, paused, business=business, calendar=calendar) if paused > timedelta(0) else instant


def pending_warnings(warnings: Sequence[tuple[int, datetime]], *, warned_pct: int) -> list[tuple[int, datetime]]:
    return [(pct, at) for pct, at in warnings if pct > warned_pct]


@dataclass(frozen=True)
class SweepStep:
    """What the sweep does with one clock at `now`: kind "warning" (pct: the highest threshold
    passed), "breach", or "none"; `next_check_at` is the next instant worth looking at again (None:
    nothing left to check). `late`: the thresholds a sweep that came late missed, (pct, instant) in
    order — every pending one below `pct` for a warning, every pending one for a breach."""

    kind: str
    pct: int = 0
    next_check_at: datetime | None = None
    late: tuple[tuple[int, datetime], ...] = ()


def sweep_step(*, now: datetime, due: datetime, warnings: Sequence[tuple[int, datetime]],
               warned_pct: int) -> SweepStep:
    """Decide a running, unbreached clock's next event. When the sweep comes late and several
    thresholds have passed at once, the highest is the warning and the ones below it are `late`;
    when the due time has passed, the breach is the event and every pending threshold is `late`,
    so each threshold is recorded exactly once however long the sweep was away."""
    pending = pending_warnings(warnings, warned_pct=warned_pct)
    if now >= due:
        return SweepStep(kind="breach", late=tuple(pending))
    passed = [(pct, at) for pct, at in pending if at <= now]
    if not passed:
        return SweepStep(kind="none", next_check_at=pending[0][1] if pending else due)
    pct = passed[-1][0]
    later = [at for p, at in pending if p > pct]
    return SweepStep(kind="warning", pct=pct, next_check_at=later[0] if later else due, late=tuple(passed[:-1]))


def progress_roll(*, started: datetime, due: datetime, now: datetime, business: bool,
                  calendar: BusinessCalendar) -> tuple[datetime, datetime] | None:
    """A progress clock whose due time has passed rolls on by whole intervals (its length from
    `started` to `due`) until it is due after `now`: (new start, new due). A sweep that was down
    for hours sends one reminder, not one per interval. None: the clock has no interval."""
    interval = measure(started, due, business=business, calendar=calendar)
    if interval <= timedelta(0):
        return None
    start = due
    while due <= now:
        start = due
        due = elapse(due, interval, business=business, calendar=calendar)
    return start, due


# --- calendars from configuration data --------------------------------------------------------

def _parse_time(value: str | time) -> time:
    if isinstance(value, time):
        return value
    text = str(value).strip()
    if text in ("24:00", "24:00:00"):
        return time(23, 59, 59, 999999)
    return time.fromisoformat(text)


def parse_week(week: Mapping[str | int, Iterable[Sequence[str | time]]]) -> dict[int, tuple[Period, ...]]:
    """{"0": [["09:00", "12:00"], …], …} (0 = Monday) → the calendar's week; bad or reversed periods
    raise ValueError so an admin form can say which day is wrong."""
    out: dict[int, tuple[Period, ...]] = {}
    for key, periods in week.items():
        day = int(key)
        if not 0 <= day <= 6:
            raise ValueError(f"weekday {key!r} is not 0..6")
        parsed: list[Period] = []
        for pair in periods or ():
            begin, end = (_parse_time(v) for v in pair)
            if end <= begin:
                raise ValueError(f"period {pair!r} on weekday {day} ends before it begins")
            parsed.append((begin, end))
        parsed.sort()
        for (_a, b), (c, _d) in zip(parsed, parsed[1:], strict=False):
            if c < b:
                raise ValueError(f"periods overlap on weekday {day}")
        out[day] = tuple(parsed)
    return out


def from_config(*, week: Mapping[str | int, Iterable[Sequence[str | time]]], holidays: Iterable[date] = (),
                makeup_workdays: Iterable[date] = (), tz: str = "Asia/Shanghai",
                makeup_weekday: int = 0) -> BusinessCalendar:
    """A BusinessCalendar from plain data (a WorkCalendar row and its dated exceptions)."""
    return BusinessCalendar(tz=ZoneInfo(tz), week=parse_week(week), holidays=frozenset(holidays),
                            makeup_workdays=frozenset(makeup_workdays), makeup_weekday=int(makeup_weekday))
