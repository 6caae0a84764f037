"""Reads behind the assurance figures the reports print: availability per business service and the
hotline's connect rate (接通率) per month. Both are pure reads (selectors); reports/kinds/ prints them.

Availability of a service in a month
------------------------------------
- the service's CIs = the service CI itself plus every CI it depends on, transitively — the CMDB's
  impact analysis walked towards dependencies (`cmdb.selectors.ci_impact(direction="dependencies")`);
- an *outage* = an incident (not cancelled) on one of those CIs, from its report time to its
  restoration (its resolution when no restoration was recorded; still open: until the end of the
  window); outages of several CIs of one service that overlap are counted once (the union of the
  intervals), clipped to the month — or to now, for the month in progress;
- minutes down = that union in whole minutes (rounded down); minutes in the window = the month's
  minutes (up to now for the month in progress); achieved % = 100 × (window − down) / window, from
  the printed minutes, 3 decimals; met when achieved ≥ target;
- incidents = those of the service's CIs reported in the window (so a quarter's count is the sum of
  its months'), while their minutes down count in every month they last.

Connect rate
------------
offered = every call of the organisation that month, answered = the answered ones, rate = answered /
offered. Calls come from the phone system's imported call records (`PhoneCall`) when a month has any
for the organisation, else from the hotline log the operators keep (`tickets.CallRecord`) — never
both, so no call counts twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from cmdb.choices import CIStatus, ImpactDirection
from cmdb.models import CI
from cmdb.selectors import MAX_IMPACT_DEPTH, ci_impact
from incidents.choices import IncidentStatus
from incidents.models import Incident
from tickets.choices import CallOutcome
from tickets.models import CallRecord

from .choices import CallDisposition
from .models import DEFAULT_CONNECT_TARGET, AvailabilityTarget, HotlineTarget, PhoneCall

DEFAULT_AVAILABILITY_TARGET = Decimal("99.5")


def union_seconds(intervals: list[tuple[datetime, datetime]], start: datetime, end: datetime) -> float:
    """Seconds covered by the union of `intervals`, each clipped to [start, end)."""
    clipped = sorted((max(a, start), min(b, end)) for a, b in intervals if b > start and a < end)
    total = 0.0
    cur_a: datetime | None = None
    cur_b: datetime | None = None
    for a, b in clipped:
        if b <= a:
            continue
        if cur_b is None or a > cur_b:
            if cur_a is not None and cur_b is not None:
                total += (cur_b - cur_a).total_seconds()
            cur_a, cur_b = a, b
        elif b > cur_b:
            cur_b = b
    if cur_a is not None and cur_b is not None:
        total += (cur_b - cur_a).total_seconds()
    return total


@dataclass
class ServiceAvailability:
    service_id: int
    name: str
    organization_id: int
    target_pct: Decimal
    target_set: bool
    ci_count: int  # the service and the CIs it depends on
    window_minutes: int
    down_minutes: int
    incidents: int  # reported in the window (an outage carried over from the month before counts there)
    achieved_pct: float | None
    met: bool | None
    ci_ids: list[int] = field(default_factory=list)
    incident_numbers: list[str] = field(default_factory=list)


def service_cis(service_id: int) -> list[int]:
    """The service CI and every CI it depends on (transitively), retired ones left out by the walk."""
    rows = ci_impact(ci_ids=[service_id], direction=ImpactDirection.DEPENDENCIES, max_depth=MAX_IMPACT_DEPTH)
    return [service_id, *[r.ci_id for r in rows]]


def service_availability(*, service: CI, start: datetime, end: datetime, now: datetime) -> ServiceAvailability:
    """Availability of one business service in [start, end) (see the module's definitions)."""
    stop = min(end, now)
    ci_ids = service_cis(service.pk)
    target = AvailabilityTarget.objects.filter(service=service).values_list("target_pct", flat=True).first()
    window_minutes = max(0, int((stop - start).total_seconds() // 60))
    rows = list(Incident.objects.filter(ci_id__in=ci_ids, reported_at__lt=stop)
                .exclude(status=IncidentStatus.CANCELLED)
                .annotate(ended=Coalesce("restored_at", "resolved_at"))
                .filter(Q(ended__isnull=True) | Q(ended__gt=start))
                .order_by("reported_at", "id").values_list("number", "reported_at", "ended"))
    intervals = [(reported, ended or stop) for _n, reported, ended in rows]
    down = int(union_seconds(intervals, start, stop) // 60) if stop > start else 0
    achieved = round(100 * (window_minutes - down) / window_minutes, 3) if window_minutes else None
    goal = target if target is not None else DEFAULT_AVAILABILITY_TARGET
    return ServiceAvailability(
        service_id=service.pk, name=service.name, organization_id=service.organization_id, target_pct=goal,
        target_set=target is not None, ci_count=len(ci_ids), window_minutes=window_minutes, down_minutes=down,
        incidents=sum(1 for _n, reported, _e in rows if reported >= start), achieved_pct=achieved, met=None if achieved is None else achieved >= float(goal),
        ci_ids=ci_ids, incident_numbers=[n for n, _r, _e in rows])


def services_of(organization_id: int | None) -> list[CI]:
    """The business services (CIs of a service class, not retired) of one organisation or all."""
    qs = CI.objects.filter(ci_class__is_service=True).exclude(status=CIStatus.RETIRED).order_by("name", "id")
    if organization_id is not None:
        qs = qs.filter(organization_id=organization_id)
    return list(qs)


def month_starts(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The calendar months (configured zone) that [start, end) covers, as (first instant, next month)."""
    zone = timezone.get_default_timezone()
    first = timezone.localtime(start, zone).date().replace(day=1)
    out = []
    while True:
        nxt = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
        a = timezone.make_aware(datetime.combine(first, datetime.min.time()), zone)
        b = timezone.make_aware(datetime.combine(nxt, datetime.min.time()), zone)
        if a >= end:
            break
        out.append((max(a, start), min(b, end)))
        first = nxt
    return out


def availability_by_month(*, organization_id: int | None, start: datetime, end: datetime,
                          now: datetime) -> list[dict[str, Any]]:
    """Per business service, per month of [start, end): a ServiceAvailability; services in name order."""
    months = month_starts(start, end)
    out = []
    for service in services_of(organization_id):
        rows = [service_availability(service=service, start=a, end=b, now=now) for a, b in months]
        out.append({"service": service, "months": [
            {"label": timezone.localtime(a).strftime("%Y-%m"), "row": r} for (a, _b), r in zip(months, rows, strict=True)
            if r.window_minutes > 0]})
    return out


# --- connect rate ---------------------------------------------------------------------------------

def connect_target(organization_id: int | None) -> Decimal:
    if organization_id is None:
        return DEFAULT_CONNECT_TARGET
    value = HotlineTarget.objects.filter(organization_id=organization_id).values_list("target_pct", flat=True).first()
    return value if value is not None else DEFAULT_CONNECT_TARGET


def connect_rate_by_month(*, organization_id: int | None, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Per calendar month of [start, end): offered, answered, rate %, target %, below target, and the
    source of the calls (`phone_system` or `hotline_log`). Two GROUP BY queries."""
    zone = timezone.get_default_timezone()
    months = month_starts(start, end)
    phone = PhoneCall.objects.filter(started_at__gte=start, started_at__lt=end)
    logged = CallRecord.objects.filter(received_at__gte=start, received_at__lt=end)
    if organization_id is not None:
        phone = phone.filter(organization_id=organization_id)
        logged = logged.filter(organization_id=organization_id)

    def grouped(qs: Any, at: str, answered: Q) -> dict[tuple[int | None, date], tuple[int, int]]:
        rows = (qs.annotate(month=TruncMonth(at, tzinfo=zone)).order_by().values("organization_id", "month")
                .annotate(n=Count("id"), ok=Count("id", filter=answered)))
        return {(r["organization_id"], r["month"].astimezone(zone).date()): (r["n"], r["ok"]) for r in rows}

    from_phone = grouped(phone, "started_at", Q(disposition=CallDisposition.ANSWERED))
    from_log = grouped(logged, "received_at", Q(outcome=CallOutcome.ANSWERED))
    target = connect_target(organization_id)
    out = []
    for a, _b in months:
        month = timezone.localtime(a, zone).date().replace(day=1)
        offered = answered = 0
        sources = set()
        orgs = {o for o, m in from_phone if m == month} | {o for o, m in from_log if m == month}
        for org in orgs:
            if (org, month) in from_phone:
                n, ok = from_phone[(org, month)]
                sources.add("phone_system")
            else:
                n, ok = from_log[(org, month)]
                sources.add("hotline_log")
            offered += n
            answered += ok
        rate = round(100 * answered / offered, 1) if offered else None
        out.append({"label": f"{month.year}-{month.month:02d}", "offered": offered, "answered": answered,
                    "missed": offered - answered, "rate": rate, "target": target,
                    "below": rate is not None and rate < float(target),
                    "source": "phone_system" if sources == {"phone_system"} else (
                        "hotline_log" if sources == {"hotline_log"} else ("mixed" if sources else ""))})
    return out


def month_back(start: datetime, months: int) -> datetime:
    """The first instant of the month `months` before `start`'s month (configured zone)."""
    zone = timezone.get_default_timezone()
    d = timezone.localtime(start, zone).date().replace(day=1)
    for _i in range(months):
        d = (d - timedelta(days=1)).replace(day=1)
    return timezone.make_aware(datetime.combine(d, datetime.min.time()), zone)
