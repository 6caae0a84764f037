"""Report periods: "2026-10-15" (day), "2026-10" (month), "2026-Q3" (quarter), "2026-H1" (half year),
"2026" (year). Boundaries are midnights in the configured zone (settings.TIME_ZONE, Asia/Shanghai by
default), returned as aware datetimes with the end exclusive."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time

from django.utils import timezone
from django.utils.translation import gettext as _

_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$", re.IGNORECASE)
_HALF = re.compile(r"^(\d{4})-H([12])$", re.IGNORECASE)
_YEAR = re.compile(r"^(\d{4})$")


@dataclass(frozen=True)
class Period:
    kind: str  # day | month | quarter | half | year
    text: str  # canonical form, as parsed
    first_day: date
    next_first_day: date  # exclusive

    @property
    def start(self) -> datetime:
        return _midnight(self.first_day)

    @property
    def end(self) -> datetime:
        return _midnight(self.next_first_day)

    def previous(self, count: int = 1) -> Period:
        """The period `count` steps before this one, of the same kind."""
        p = self
        for _step in range(count):
            p = period_parse(_shift_back(p))
        return p


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


def _month_add(year: int, month: int, months: int) -> date:
    index = year * 12 + (month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def _shift_back(p: Period) -> str:
    d = p.first_day
    if p.kind == "day":
        return date.fromordinal(d.toordinal() - 1).isoformat()
    if p.kind == "month":
        prev = _month_add(d.year, d.month, -1)
        return f"{prev.year:04d}-{prev.month:02d}"
    if p.kind == "quarter":
        prev = _month_add(d.year, d.month, -3)
        return f"{prev.year:04d}-Q{(prev.month - 1) // 3 + 1}"
    if p.kind == "half":
        prev = _month_add(d.year, d.month, -6)
        return f"{prev.year:04d}-H{(prev.month - 1) // 6 + 1}"
    return f"{d.year - 1:04d}"


def period_parse(text: str) -> Period:
    """Parse a period; ValueError with a message a person can act on when it is not one."""
    value = (text or "").strip()
    try:
        if m := _DAY.match(value):
            d = date(int(m[1]), int(m[2]), int(m[3]))
            return Period("day", d.isoformat(), d, date.fromordinal(d.toordinal() + 1))
        if m := _MONTH.match(value):
            d = date(int(m[1]), int(m[2]), 1)
            return Period("month", f"{d.year:04d}-{d.month:02d}", d, _month_add(d.year, d.month, 1))
        if m := _QUARTER.match(value):
            d = date(int(m[1]), (int(m[2]) - 1) * 3 + 1, 1)
            return Period("quarter", f"{d.year:04d}-Q{m[2]}", d, _month_add(d.year, d.month, 3))
        if m := _HALF.match(value):
            d = date(int(m[1]), (int(m[2]) - 1) * 6 + 1, 1)
            return Period("half", f"{d.year:04d}-H{m[2]}", d, _month_add(d.year, d.month, 6))
        if m := _YEAR.match(value):
            d = date(int(m[1]), 1, 1)
            return Period("year", f"{d.year:04d}", d, date(d.year + 1, 1, 1))
    except ValueError:
        pass  # e.g. month 13: falls through to the same message
    raise ValueError(_("Not a period: use 2026-10-15 (day), 2026-10 (month), 2026-Q3 (quarter), 2026-H1 "
                       "(half year) or 2026 (year)."))
