"""Permission-scoped reads of reports: runs (staff see all; customers only their organisation's
published runs), schedules (staff), and the dashboard's live figures, aggregated in SQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.http import Http404
from django.utils import timezone

from incidents.choices import OPEN_STATUSES, FaultLevel, IncidentStatus
from incidents.models import Incident
from tickets.choices import SLATargetName, TicketKind
from tickets.models import SLAClock

from .choices import RunStatus
from .models import ReportEmail, ReportRun, ReportSchedule
from .periods import period_parse


def _is_staff(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.is_staff_member)


def report_run_list(*, user: Any) -> QuerySet[ReportRun]:
    """Runs `user` may see: staff all of them; a customer the published runs of their organisation."""
    qs = ReportRun.objects.select_related("organization", "requested_by", "published_by", "incident")
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    if user.is_superuser or user.is_staff_member:
        return qs
    if user.organization_id is None:
        return qs.none()
    return qs.filter(organization_id=user.organization_id, published=True, status=RunStatus.DONE)


def report_run_latest(runs: QuerySet[ReportRun]) -> QuerySet[ReportRun]:
    """Of `runs`, only the newest per report kind, period and incident: a month's summary generated
    (and published) twice shows once, in its latest version."""
    newer = runs.annotate(incident_key=Coalesce("incident_id", Value(0))).filter(
        kind=OuterRef("kind"), period_start=OuterRef("period_start"), period_end=OuterRef("period_end"),
        incident_key=OuterRef("incident_key"),
    ).filter(Q(created_at__gt=OuterRef("created_at")) | Q(created_at=OuterRef("created_at"), id__gt=OuterRef("id")))
    return runs.annotate(incident_key=Coalesce("incident_id", Value(0))).exclude(Exists(newer))


def report_run_get(*, user: Any, pk: Any) -> ReportRun:
    try:
        return report_run_list(user=user).get(pk=int(pk))
    except (ReportRun.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None


def schedule_list(*, user: Any) -> QuerySet[ReportSchedule]:
    if not _is_staff(user):
        return ReportSchedule.objects.none()
    return ReportSchedule.objects.select_related("organization").order_by("name", "id")


def schedule_get(*, user: Any, pk: Any) -> ReportSchedule:
    try:
        return schedule_list(user=user).get(pk=int(pk))
    except (ReportSchedule.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None


def schedule_emails(*, user: Any, schedule: ReportSchedule, limit: int = 12) -> list[ReportEmail]:
    if not _is_staff(user):
        return []
    return list(ReportEmail.objects.filter(schedule=schedule).prefetch_related("attempt_log")
                .order_by("-created_at", "-id")[:limit])


# --- dashboard -------------------------------------------------------------------------------------

def _day_start(now: datetime) -> datetime:
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def dashboard_figures(*, user: Any, now: datetime, organization_id: int | None = None) -> dict[str, Any]:
    """The dashboard's live figures (staff): open incidents by level, breaches today and this month,
    the last 12 months of faults, SLA attainment this month and the top CIs by faults. Each block is
    one aggregate query; nothing loops over incidents in Python."""
    if not _is_staff(user):
        raise Http404
    incidents = Incident.objects.visible_to(user)
    if organization_id is not None:
        incidents = incidents.filter(organization_id=organization_id)
    today = _day_start(now)
    month = period_parse(f"{today.year:04d}-{today.month:02d}")
    open_by_level = dict(incidents.filter(status__in=OPEN_STATUSES).order_by().values_list("fault_level")
                         .annotate(n=Count("id")).values_list("fault_level", "n"))
    opened_today = incidents.filter(reported_at__gte=today).exclude(status=IncidentStatus.CANCELLED).count()

    clocks = SLAClock.objects.filter(ticket_kind=TicketKind.INCIDENT)
    if organization_id is not None:
        clocks = clocks.filter(organization_id=organization_id)
    breaches = clocks.filter(breached_at__isnull=False).aggregate(
        today=Count("id", filter=Q(breached_at__gte=today)),
        month=Count("id", filter=Q(breached_at__gte=month.start, breached_at__lt=month.end)))

    faults_month = incidents.filter(reported_at__gte=month.start, reported_at__lt=month.end).exclude(
        status=IncidentStatus.CANCELLED)
    targets = (SLATargetName.RESPOND, SLATargetName.ONSITE, SLATargetName.RESTORE)
    met = Q(met_at__isnull=False, met_at__lte=F("due_at"))
    missed = Q(met_at__isnull=False, met_at__gt=F("due_at")) | Q(met_at__isnull=True, due_at__lt=now)
    sla_rows = (SLAClock.objects.filter(ticket_kind=TicketKind.INCIDENT, ticket_id__in=faults_month.values("pk"),
                                        target__in=targets)
                .values("target").annotate(met=Count("id", filter=met), missed=Count("id", filter=missed)).order_by())
    sla_map = {r["target"]: r for r in sla_rows}
    labels = dict(SLATargetName.choices)
    sla = []
    for t in targets:
        row = sla_map.get(t, {"met": 0, "missed": 0})
        decided = row["met"] + row["missed"]
        sla.append({"target": t.value, "label": labels[t], "met": row["met"], "missed": row["missed"],
                    "pct": round(100 * row["met"] / decided, 1) if decided else None})

    first = month.previous(11)
    tz = timezone.get_default_timezone()
    per_month = (incidents.filter(reported_at__gte=first.start, reported_at__lt=month.end)
                 .exclude(status=IncidentStatus.CANCELLED)
                 .annotate(m=TruncMonth("reported_at", tzinfo=tz)).values("m", "fault_level")
                 .annotate(n=Count("id")).order_by())
    months = [month.previous(i) for i in range(11, -1, -1)]
    grid = {m.text: {lv.value: 0 for lv in FaultLevel} for m in months}
    for r in per_month:
        key = timezone.localtime(r["m"], tz).strftime("%Y-%m")
        if key in grid:
            grid[key][r["fault_level"]] = r["n"]
    trend = [{"month": m.text, "levels": [grid[m.text][lv.value] for lv in FaultLevel],
              "total": sum(grid[m.text].values())} for m in months]

    top_cis = list(faults_month.filter(ci__isnull=False).order_by().values("ci_id")
                   .annotate(n=Count("id"), name=F("ci__name"), org=F("ci__organization__name"))
                   .order_by("-n", "name")[:10])
    at_risk = incidents.filter(status__in=OPEN_STATUSES).filter(Exists(
        SLAClock.objects.filter(ticket_kind=TicketKind.INCIDENT, ticket_id=OuterRef("pk"), met_at__isnull=True,
                                paused_at__isnull=True, due_at__lt=now))).count()
    return {
        "now": now,
        "month": month,
        "open_by_level": [{"level": lv.value, "label": lv.label, "count": open_by_level.get(lv.value, 0)}
                          for lv in FaultLevel],
        "open_total": sum(open_by_level.values()),
        "opened_today": opened_today,
        "overdue_open": at_risk,
        "breaches_today": breaches["today"],
        "breaches_month": breaches["month"],
        "faults_month": faults_month.count(),
        "sla": sla,
        "trend": trend,
        "top_cis": top_cis,
        "recent_runs_since": now - timedelta(days=31),
    }
