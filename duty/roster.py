"""Who is on duty: the rotation arithmetic, in Python, over a handful of rule rows (pure: no
database). Order of precedence for a group's role at an instant:

1. the base: holiday duty on a holiday of its calendar, else the highest-layer rotation in force
   (a rotation's person is members[(at − start) // shift_length mod n]; no shift length: all);
2. overrides and approved swaps replace the person they name (or everyone in the role);
3. major-event and special-support duty add people on top.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from .choices import ADDING_KINDS, REPLACING_KINDS, DutyRole, RuleKind

ROLE_ORDER = {DutyRole.LEAD: 0, DutyRole.PRIMARY: 1, DutyRole.STANDBY: 2}


@dataclass(frozen=True)
class Row:
    """One rule as the resolver needs it (built from a query row or by a test)."""

    pk: int
    group_id: int
    group_name: str
    region: str
    kind: str
    role: str
    starts_at: datetime
    ends_at: datetime | None
    members: tuple[tuple[int, str], ...]
    shift_length: timedelta | None = None
    window_start: time | None = None
    window_end: time | None = None
    layer: int = 0
    replaces_id: int | None = None
    holidays: frozenset[date] = field(default_factory=frozenset)


@dataclass(frozen=True)
class OnDuty:
    user_id: int
    name: str
    group_id: int
    group_name: str
    region: str
    role: str
    kind: str
    rule_id: int


def _in_window(row: Row, local: datetime) -> bool:
    if row.window_start is None or row.window_end is None:
        return True
    t = local.time()
    if row.window_start <= row.window_end:
        return row.window_start <= t < row.window_end
    return t >= row.window_start or t < row.window_end  # across midnight


def _shift_day(row: Row, local: datetime) -> date:
    """The day a shift belongs to: a night window after midnight belongs to the evening before."""
    if (row.window_start is not None and row.window_end is not None and row.window_start > row.window_end
            and local.time() < row.window_end):
        return local.date() - timedelta(days=1)
    return local.date()


def _live(row: Row, at: datetime, tz: ZoneInfo) -> bool:
    if row.starts_at > at or (row.ends_at is not None and row.ends_at <= at) or not row.members:
        return False
    local = at.astimezone(tz)
    if not _in_window(row, local):
        return False
    if row.kind == RuleKind.HOLIDAY:
        return _shift_day(row, local) in row.holidays
    return True


def rotation_people(row: Row, at: datetime) -> list[tuple[int, str]]:
    if not row.shift_length or row.shift_length <= timedelta(0):
        return list(row.members)
    turn = (at - row.starts_at) // row.shift_length
    return [row.members[turn % len(row.members)]]


def resolve(rows: list[Row], at: datetime, *, tz: ZoneInfo) -> list[OnDuty]:
    """Everyone on duty at `at` under `rows` (one group's or many), lead first, then on duty,
    then standby."""
    by_slot: dict[tuple[int, str], list[Row]] = {}
    for row in rows:
        if _live(row, at, tz):
            by_slot.setdefault((row.group_id, row.role), []).append(row)
    result: list[OnDuty] = []
    for (_group, _role), live in by_slot.items():
        bases = [r for r in live if r.kind in (RuleKind.ROTATION, RuleKind.HOLIDAY)]
        people: list[tuple[tuple[int, str], Row]] = []
        if bases:
            base = max(bases, key=lambda r: (r.kind == RuleKind.HOLIDAY, r.layer, r.starts_at, r.pk))
            people = [(p, base) for p in rotation_people(base, at)]
        for row in sorted((r for r in live if r.kind in REPLACING_KINDS), key=lambda r: (r.starts_at, r.pk)):
            if row.replaces_id is None:
                people = [(p, row) for p in row.members]
            else:
                kept = [(p, src) for p, src in people if p[0] != row.replaces_id]
                if len(kept) != len(people):
                    people = kept + [(p, row) for p in row.members]
        for row in (r for r in live if r.kind in ADDING_KINDS):
            people.extend((p, row) for p in row.members)
        seen: set[int] = set()
        for (user_id, name), src in people:
            if user_id in seen:
                continue
            seen.add(user_id)
            result.append(OnDuty(user_id=user_id, name=name, group_id=src.group_id, group_name=src.group_name,
                                 region=src.region, role=src.role, kind=src.kind, rule_id=src.pk))
    result.sort(key=lambda d: (d.group_name, d.group_id, ROLE_ORDER.get(d.role, 9), d.name))  # type: ignore[call-overload]
    return result


def row_from(values: dict[str, Any]) -> Row:
    return Row(
        pk=values["pk"], group_id=values["group_id"], group_name=values["group__name"],
        region=values["group__region"] or "", kind=values["kind"], role=values["role"],
        starts_at=values["starts_at"], ends_at=values["ends_at"],
        members=tuple((m["id"], m["name"] or m["username"]) for m in values["people"] or ()),
        shift_length=values["shift_length"], window_start=values["window_start"], window_end=values["window_end"],
        layer=values["layer"], replaces_id=values["replaces_id"],
        holidays=frozenset(values["holiday_dates"] or ()),
    )
