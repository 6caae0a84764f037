"""When a plan's rounds fall: pure date arithmetic (no database, no clock), given a working-day test
built from the SLA calendar (tickets/sla_config: weekends, Chinese holidays, make-up working days).

A period is an ISO week (Monday–Sunday), a month, a quarter or a half year. Within it the round is
scheduled on the Nth working day of the period, or on the Nth given weekday (e.g. the first Monday
of the month); a weekday that is a holiday moves to the next working day in the period (or, when
none is left, the last working day before it). A period without any working day has no round."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from .choices import DayRule, Frequency

IsWorking = Callable[[date], bool]
MONTHS: dict[str, int] = {Frequency.MONTHLY: 1, Frequency.QUARTERLY: 3, Frequency.HALF_YEARLY: 6}


@dataclass(frozen=True)
class Rule:
    frequency: str
    day_rule: str = DayRule.NTH_WORKING_DAY
    nth: int = 1
    weekday: int = 0


@dataclass(frozen=True)
class Occurrence:
    period_start: date
    period_end: date  # inclusive
    scheduled_for: date


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_of(frequency: str, day: date) -> tuple[date, date]:
    """The period (first day, last day) containing `day`."""
    if frequency == Frequency.WEEKLY:
        first = day - timedelta(days=day.weekday())
        return first, first + timedelta(days=6)
    months = MONTHS[frequency]
    first = date(day.year, (day.month - 1) // months * months + 1, 1)
    return first, _add_months(first, months) - timedelta(days=1)


def next_period(frequency: str, first: date) -> date:
    if frequency == Frequency.WEEKLY:
        return first + timedelta(days=7)
    return _add_months(first, MONTHS[frequency])


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def scheduled_day(rule: Rule, first: date, last: date, is_working: IsWorking) -> date | None:
    """The day the round of period [first, last] is scheduled for (None: no working day in it)."""
    working = [d for d in _days(first, last) if is_working(d)]
    if not working:
        return None
    if rule.day_rule == DayRule.NTH_WEEKDAY:
        matches = [d for d in _days(first, last) if d.weekday() == rule.weekday]
        if not matches:
            return working[0]
        day = matches[min(rule.nth, len(matches)) - 1]
        later = [d for d in working if d >= day]
        return later[0] if later else working[-1]
    return working[min(rule.nth, len(working)) - 1]


def occurrences(rule: Rule, start: date, end: date, is_working: IsWorking) -> list[Occurrence]:
    """Every period overlapping [start, end] whose scheduled day is in [start, end], in order."""
    out: list[Occurrence] = []
    first, last = period_of(rule.frequency, start)
    while first <= end:
        day = scheduled_day(rule, first, last, is_working)
        if day is not None and start <= day <= end:
            out.append(Occurrence(first, last, day))
        first = next_period(rule.frequency, first)
        last = period_of(rule.frequency, first)[1]
    return out


def due_day(scheduled: date, working_days: int, is_working: IsWorking, *, horizon: int = 400) -> date:
    """The day the round is due: the `working_days`-th working day counting the scheduled day
    (1 = the same day)."""
    count, day = 0, scheduled
    for _ in range(horizon):
        if is_working(day):
            count += 1
            if count >= working_days:
                return day
        day += timedelta(days=1)
    return day
