"""Reads of the roster. `duty_on_now` is one query: the live rules with their people and their
calendar's holidays near the instant as array subqueries; the rest is arithmetic (roster.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import OuterRef, Q, QuerySet
from django.db.models.functions import JSONObject
from django.utils import timezone

from tickets.choices import CalendarDayKind
from tickets.models import CalendarDay
from tickets.sla_config import policy_for

from .choices import DutyRole, RuleStatus
from .models import DutyMember, DutyRule, SupportRequest
from .roster import OnDuty, Row, resolve, row_from

MIN_SHIFT = timedelta(minutes=1)  # shorter rotation steps are not real shifts (and would be millions of points)


def _tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE or "Asia/Shanghai")


def _rows(*, start: datetime, end: datetime, group: Any = None, region: str | None = None) -> list[Row]:
    """The approved, active rules in force at some time in [start, end], with their people and
    their calendar's holidays in that span (± a day for night shifts)."""
    people = (DutyMember.objects.filter(rule=OuterRef("pk"), user__is_active=True).order_by("position", "pk")
              .values(json=JSONObject(id="user_id", name="user__name", username="user__username")))
    tz = _tz()
    first, last = start.astimezone(tz).date() - timedelta(days=1), end.astimezone(tz).date() + timedelta(days=1)
    holidays = (CalendarDay.objects.filter(calendar=OuterRef("calendar"), kind=CalendarDayKind.HOLIDAY,
                                           date__range=(first, last)).order_by("date").values("date"))
    qs = (DutyRule.objects.filter(is_active=True, status=RuleStatus.APPROVED, starts_at__lte=end, group__is_active=True)
          .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=start)))
    if group is not None:
        qs = qs.filter(group_id=getattr(group, "pk", group))
    if region:
        qs = qs.filter(group__region=region)
    fields = ("pk", "group_id", "group__name", "group__region", "kind", "role", "starts_at", "ends_at", "shift_length",
              "window_start", "window_end", "layer", "replaces_id")
    if connection.vendor == "postgresql":
        values = list(qs.annotate(people=ArraySubquery(people), holiday_dates=ArraySubquery(holidays))
                      .values(*fields, "people", "holiday_dates"))
    else:  # SQLite (the single-machine mode of scripts/run): the same rows in three queries
        values = list(qs.values(*fields, "calendar_id"))
        members: dict[int, list[dict[str, Any]]] = {}
        for m in (DutyMember.objects.filter(rule_id__in=[v["pk"] for v in values], user__is_active=True)
                  .order_by("position", "pk").values("rule_id", "user_id", "user__name", "user__username")):
            members.setdefault(m["rule_id"], []).append(
                {"id": m["user_id"], "name": m["user__name"], "username": m["user__username"]})
        days: dict[int, list[Any]] = {}
        for cal, day in CalendarDay.objects.filter(
                calendar_id__in={v["calendar_id"] for v in values if v["calendar_id"]},
                kind=CalendarDayKind.HOLIDAY, date__range=(first, last)).values_list("calendar_id", "date"):
            days.setdefault(cal, []).append(day)
        for v in values:
            v["people"], v["holiday_dates"] = members.get(v["pk"], []), days.get(v["calendar_id"], [])
    return [row_from(v) for v in values]


def duty_on_now(group: Any = None, region: str | None = None, at: datetime | None = None) -> list[OnDuty]:
    """Who is on duty at `at` (now by default), for one support group, one region, or all: one query."""
    at = at or timezone.now()
    return resolve(_rows(start=at, end=at, group=group, region=region), at, tz=_tz())


def duty_user_ids(group: Any = None, *, at: datetime | None = None, roles: tuple[str, ...] = (DutyRole.PRIMARY,),
                  region: str | None = None) -> list[int]:
    return [d.user_id for d in duty_on_now(group, region, at) if d.role in roles]


def duty_lead_id(group: Any, *, at: datetime | None = None) -> int | None:
    """The group's duty lead now, if the roster names one."""
    leads = duty_user_ids(group, at=at, roles=(DutyRole.LEAD,))
    return leads[0] if leads else None


@dataclass
class DutyHours:
    user_id: int
    name: str
    business: timedelta
    off_hours: timedelta
    holiday: timedelta

    @property
    def total(self) -> timedelta:
        return self.business + self.off_hours + self.holiday

    @property
    def business_h(self) -> float:
        return round(self.business.total_seconds() / 3600, 2)

    @property
    def off_hours_h(self) -> float:
        return round(self.off_hours.total_seconds() / 3600, 2)

    @property
    def holiday_h(self) -> float:
        return round(self.holiday.total_seconds() / 3600, 2)


def _change_points(rows: list[Row], *, start: datetime, end: datetime, zones: set[ZoneInfo]) -> list[datetime]:
    """Every instant in (start, end) at which who is on duty, or the kind of hour, may change: a rule's
    start and end, each rotation hand-over, each daily window's opening and closing, and local midnight
    (holidays are whole local days). Between two of them the roster is constant."""
    points: set[datetime] = set()
    days: list[Any] = []
    for tz in zones:
        d = start.astimezone(tz).date() - timedelta(days=1)
        while d <= end.astimezone(tz).date() + timedelta(days=1):
            days.append((tz, d))
            points.add(datetime.combine(d, time.min, tzinfo=tz))
            d += timedelta(days=1)
    for row in rows:
        points.add(row.starts_at)
        if row.ends_at is not None:
            points.add(row.ends_at)
        if row.shift_length and row.shift_length >= MIN_SHIFT:
            k = max(0, (start - row.starts_at) // row.shift_length)
            t = row.starts_at + k * row.shift_length
            while t < end:
                points.add(t)
                t += row.shift_length
        for edge in (row.window_start, row.window_end):
            if edge is not None:
                points.update(datetime.combine(d, edge, tzinfo=tz) for tz, d in days)
    return sorted(p for p in points if start < p < end)


def duty_hours(*, start: datetime, end: datetime, group: Any = None,
               roles: tuple[str, ...] = (DutyRole.PRIMARY, DutyRole.LEAD, DutyRole.STANDBY)) -> list[DutyHours]:
    """On-call time per person in [start, end), split into business hours, off-hours and holidays
    of the default work calendar (for pay). Exact: the span is cut at every instant the roster or the
    day can change (`_change_points`), the roster is resolved once per piece, and each piece's business
    time comes from the calendar's own arithmetic (lunch breaks and make-up working days included)."""
    rows = _rows(start=start, end=end, group=group)
    calendar = policy_for(organization_id=None, now=start).calendar
    tz = _tz()
    totals: dict[int, DutyHours] = {}
    edges = [start, *_change_points(rows, start=start, end=end, zones={tz, calendar.tz}), end]
    for a, b in zip(edges, edges[1:], strict=False):
        on = {d.user_id: d for d in resolve(rows, a, tz=tz) if d.role in roles}
        if not on:
            continue
        span = b - a
        if a.astimezone(calendar.tz).date() in calendar.holidays:
            parts = {"holiday": span}
        else:
            business = calendar.between(a, b)
            parts = {"business": business, "off_hours": span - business}
        for duty in on.values():
            entry = totals.setdefault(duty.user_id, DutyHours(duty.user_id, duty.name, timedelta(0), timedelta(0),
                                                              timedelta(0)))
            for bucket, amount in parts.items():
                setattr(entry, bucket, getattr(entry, bucket) + amount)
    return sorted(totals.values(), key=lambda h: h.name)


def rules_visible(user: Any) -> QuerySet[DutyRule]:
    """Staff see the roster; customers see only their own special-support bookings."""
    qs = DutyRule.objects.select_related("group", "replaces", "organization", "created_by")
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    if user.is_superuser or not user.is_customer:
        return qs.filter(is_active=True)
    return qs.filter(is_active=True, organization_id=user.organization_id)


def pending_swaps(user: Any) -> QuerySet[DutyRule]:
    return rules_visible(user).filter(status=RuleStatus.PENDING).order_by("starts_at")


def roster_upcoming(*, group: Any = None, start: datetime, days: int = 7, step: timedelta = timedelta(hours=6)
                    ) -> list[tuple[datetime, list[OnDuty]]]:
    """The roster as slots (every `step`) over the coming days: what the roster page shows."""
    end = start + timedelta(days=days)
    rows = _rows(start=start, end=end, group=group)
    out = []
    t = start
    while t < end:
        out.append((t, resolve(rows, t, tz=_tz())))
        t += step
    return out


__all__ = ["OnDuty", "duty_on_now", "duty_user_ids", "duty_lead_id", "duty_hours", "rules_visible"]


def support_requests_visible(user: Any) -> QuerySet[SupportRequest]:
    """Special-support requests: staff see all; a customer (or its auditor) its organisation's."""
    qs = SupportRequest.objects.select_related("organization", "requested_by", "decided_by", "duty_rule")
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    if user.is_superuser or not user.is_customer:
        return qs
    return qs.filter(organization_id=user.organization_id)
