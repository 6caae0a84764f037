"""Business-time arithmetic on a working calendar: pure, no database (DESIGN.md rule 5).

A calendar has working periods per weekday (e.g. 09:00–12:00 and 13:30–18:00), holidays that are
not worked, and make-up working days (调休) that are worked although they fall on a weekend and
follow `makeup_weekday`'s hours.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

Period = tuple[time, time]

DEFAULT_PERIODS: tuple[Period, ...] = ((time(9, 0), time(12, 0)), (time(13, 30), time(18, 0)))


@dataclass(frozen=True)
class BusinessCalendar:
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    # weekday (0 = Monday) -> working periods of that day
    week: dict[int, tuple[Period, ...]] = field(
        default_factory=lambda: {d: DEFAULT_PERIODS for d in range(5)}
    )
    holidays: frozenset[date] = frozenset()
    makeup_workdays: frozenset[date] = frozenset()
    makeup_weekday: int = 0  # make-up days follow Monday's hours

    def periods_on(self, day: date) -> tuple[Period, ...]:
        if day in self.holidays:
            return ()
        if day in self.makeup_workdays:
            return self.week.get(self.makeup_weekday, DEFAULT_PERIODS)
        return self.week.get(day.weekday(), ())

    def _intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        return [
            (datetime.combine(day, a, self.tz), datetime.combine(day, b, self.tz))
            for a, b in self.periods_on(day)
        ]

    def day_length(self, day: date) -> timedelta:
        return sum((b - a for a, b in self._intervals(day)), timedelta())

    def add(self, start: datetime, duration: timedelta, *, max_days: int = 3660) -> datetime:
        """The instant when `duration` of business time has passed after `start`."""
        if duration < timedelta(0):
            raise ValueError("duration must not be negative")
        local = start.astimezone(self.tz)
        if duration == timedelta(0):
            # No business time passes: the instant itself. (Rolling it forward to the next working
            # minute would break add(add(t, a), b) == add(t, a + b) when add(t, a) ends a period.)
            return local
        remaining = duration
        day = local.date()
        for _ in range(max_days):
            for a, b in self._intervals(day):
                if b <= local:
                    continue
                begin = max(a, local)
                available = b - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
            day += timedelta(days=1)
        raise ValueError("no working time found within the calendar's horizon")

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Business time elapsed from `start` to `end` (zero if end is before start)."""
        if end <= start:
            return timedelta(0)
        s, e = start.astimezone(self.tz), end.astimezone(self.tz)
        total = timedelta(0)
        day = s.date()
        while day <= e.date():
            for a, b in self._intervals(day):
                lo, hi = max(a, s), min(b, e)
                if hi > lo:
                    total += hi - lo
            day += timedelta(days=1)
        return total

    def add_days(self, start: datetime, days: int) -> datetime:
        """`days` full working days of business time after `start`."""
        local = start.astimezone(self.tz)
        day = local.date()
        # A working day's length is taken from the first working day on or after start.
        for _ in range(3660):
            length = self.day_length(day)
            if length:
                return self.add(start, length * days)
            day += timedelta(days=1)
        raise ValueError("no working day found within the calendar's horizon")

