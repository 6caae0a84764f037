"""The calendar's grid arithmetic: which days a month or week view shows, the instants that bound
them in the local zone, and which day cells an entry spans. Pure: no database, no clock."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

VIEWS = ("month", "week", "list")
DATE_RE = re.compile(r"(?P<y>\d{4})-(?P<m>\d{2})(?:-(?P<d>\d{2}))?")
# Dates far outside any plausible plan are refused: they would only ever be typed by mistake.
MIN_YEAR, MAX_YEAR = 2000, 2100


@dataclass
class Entry:
    """One thing on the calendar: a change, a release, a freeze window or a maintenance window."""

    kind: str  # "change" | "release" | "freeze" | "maintenance"
    key: str  # unique within a calendar, e.g. "change-12"
    title: str
    start: datetime
    end: datetime
    number: str = ""
    url: str = ""
    status: str = ""
    status_label: str = ""
    type: str = ""
    type_label: str = ""
    organization: str = ""
    blocking: bool = False
    conflicts: list[Any] = field(default_factory=list)
    obj: Any = None

    @property
    def has_blocking_conflict(self) -> bool:
        return any(c.blocking for c in self.conflicts)

    @property
    def css(self) -> str:
        classes = [f"cal-{self.kind}"]
        if self.status:
            classes.append(f"cal-status-{self.status}")
        if self.type:
            classes.append(f"cal-type-{self.type}")
        if self.conflicts:
            classes.append("cal-conflict")
        if self.blocking:
            classes.append("cal-blocking")
        return " ".join(classes)


@dataclass(frozen=True)
class Span:
    """What a view shows: its days, and the instants [start, end) that bound them."""

    view: str
    anchor: date
    days: tuple[date, ...]
    start: datetime
    end: datetime
    prev: date
    next: date

    @property
    def weeks(self) -> list[tuple[date, ...]]:
        return [self.days[i:i + 7] for i in range(0, len(self.days), 7)]


def parse_anchor(text: str | None, *, today: date) -> date:
    """`YYYY-MM-DD` or `YYYY-MM` (the first of the month); anything else (or nothing) is today."""
    match = DATE_RE.fullmatch((text or "").strip())
    if match is None:
        return today
    try:
        value = date(int(match["y"]), int(match["m"]), int(match["d"] or 1))
    except ValueError:
        return today
    return value if MIN_YEAR <= value.year <= MAX_YEAR else today


def parse_view(text: str | None) -> str:
    return text if text in VIEWS else "month"


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def local_start(day: date, zone: tzinfo) -> datetime:
    """Midnight starting `day` on the wall clock of `zone`."""
    return datetime.combine(day, time.min, tzinfo=zone)


def span_for(view: str, anchor: date, zone: tzinfo) -> Span:
    """Month: whole weeks (Monday first) covering the month; week and list: Monday to Sunday (the
    list shows the same days as the month grid, one row per day with something on it)."""
    if view == "week":
        first = _monday(anchor)
        days = tuple(first + timedelta(days=i) for i in range(7))
        prev, nxt = anchor - timedelta(days=7), anchor + timedelta(days=7)
    else:
        month_first = anchor.replace(day=1)
        first = _monday(month_first)
        last = _monday(_add_months(month_first, 1) - timedelta(days=1)) + timedelta(days=6)
        days = tuple(first + timedelta(days=i) for i in range((last - first).days + 1))
        prev, nxt = _add_months(month_first, -1), _add_months(month_first, 1)
    return Span(view=view, anchor=anchor, days=days, start=local_start(days[0], zone),
                end=local_start(days[-1] + timedelta(days=1), zone), prev=prev, next=nxt)


def days_of(entry: Entry, days: Sequence[date], zone: tzinfo) -> list[date]:
    """The shown days the entry overlaps (its end is exclusive: 22:00–00:00 is one day)."""
    first = entry.start.astimezone(zone).date()
    last_instant = entry.end.astimezone(zone) - timedelta(microseconds=1)
    last = max(first, last_instant.date())
    return [d for d in days if first <= d <= last]


def place(entries: Iterable[Entry], days: Sequence[date], zone: tzinfo) -> dict[date, list[Entry]]:
    """Each shown day's entries: windows (freeze, maintenance) first, then by start time."""
    order = {"freeze": 0, "maintenance": 1, "release": 2, "change": 3}
    cells: dict[date, list[Entry]] = {d: [] for d in days}
    for entry in entries:
        for day in days_of(entry, days, zone):
            cells[day].append(entry)
    for items in cells.values():
        items.sort(key=lambda e: (order.get(e.kind, 9), e.start, e.key))
    return cells
