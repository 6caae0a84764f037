"""SLA deadlines: pure functions, no database (DESIGN.md rule 5). Given when the clock started,
a fault level's targets and a calendar, say when each target falls due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .calendar import BusinessCalendar


@dataclass(frozen=True)
class LevelTargets:
    """One fault level's targets. `business_hours` counts them on the calendar; else 24×7."""

    respond: timedelta | None
    onsite: timedelta | None
    restore: timedelta | None
    resolve: timedelta | None
    progress: timedelta | None = None
    report: timedelta | None = timedelta(days=3)
    business_hours: bool = False


H = timedelta(hours=1)
M = timedelta(minutes=1)

# BRIEF.md's default table. "bd" (business day) = one full working day of business time.
DEFAULT_TARGETS: dict[str, LevelTargets] = {
    "I": LevelTargets(respond=15 * M, onsite=1 * H, restore=4 * H, resolve=24 * H, progress=1 * H),
    "II": LevelTargets(respond=30 * M, onsite=2 * H, restore=8 * H, resolve=48 * H, progress=4 * H),
    "III": LevelTargets(respond=2 * H, onsite=4 * H, restore=24 * H, resolve=None, business_hours=True),
    "IV": LevelTargets(respond=4 * H, onsite=None, restore=None, resolve=None, business_hours=True),
}
# Business-day targets, expressed in working days of the calendar.
DEFAULT_BUSINESS_DAYS: dict[str, dict[str, int]] = {"III": {"resolve": 5}, "IV": {"restore": 3}}


@dataclass(frozen=True)
class Deadlines:
    respond_due: datetime | None
    onsite_due: datetime | None
    restore_due: datetime | None
    resolve_due: datetime | None


def due_after(*, start: datetime, duration: timedelta | None, business_hours: bool,
              calendar: BusinessCalendar) -> datetime | None:
    if duration is None:
        return None
    if business_hours:
        return calendar.add(start, duration)
    return start + duration


def deadlines_compute(*, start: datetime, level: str, calendar: BusinessCalendar,
                      targets: LevelTargets | None = None,
                      business_days: dict[str, int] | None = None) -> Deadlines:
    """Deadlines for an incident of `level` whose clock started at `start` (aware datetime)."""
    t = targets or DEFAULT_TARGETS[level]
    days = DEFAULT_BUSINESS_DAYS.get(level, {}) if business_days is None else business_days

    def one(name: str) -> datetime | None:
        if name in days:
            return calendar.add_days(start, days[name])
        return due_after(start=start, duration=getattr(t, name), business_hours=t.business_hours, calendar=calendar)

    return Deadlines(respond_due=one("respond"), onsite_due=one("onsite"), restore_due=one("restore"),
                     resolve_due=one("resolve"))
