"""Daily operations log (每日运维服务日志), period = one day in the configured zone: hotline calls and
the connect rate, incidents opened / restored / resolved / closed, requests, SLA warnings, breaches
and escalations, major incidents and their progress updates, work logged, and the duty notes typed
by whoever is on duty (options["notes"]). Every figure is one SQL aggregate."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from incidents.choices import FaultLevel, IncidentStatus
from incidents.models import Incident, ProgressUpdate
from reports.charts import bar_chart
from reports.registry import ReportInput, ReportKind, Table, register
from tickets.choices import CallOutcome, EventAction, RequestType, SLATargetName, TicketKind
from tickets.models import CallRecord, ServiceRequest, TicketEvent, WorkLog

from ._shared import EXPORT_ROWS, by_choice, by_level, header, label_of, local, org_filter, pct, period_filter

TITLE = _("Daily operations log")


def _level_chart(rows: list[dict[str, Any]]) -> Any:
    return bar_chart(labels=[r["level"] for r in rows], values=[r["count"] for r in rows], width=360, height=150)


def build(inp: ReportInput) -> dict[str, Any]:
    incidents = org_filter(Incident.objects.all(), inp)
    opened = period_filter(incidents, inp, "reported_at")
    calls = period_filter(org_filter(CallRecord.objects.all(), inp), inp, "received_at").aggregate(
        total=Count("id"), answered=Count("id", filter=Q(outcome=CallOutcome.ANSWERED)),
        missed=Count("id", filter=Q(outcome=CallOutcome.MISSED)))
    flow = incidents.aggregate(
        opened=Count("id", filter=Q(reported_at__gte=inp.start, reported_at__lt=inp.end)),
        cancelled=Count("id", filter=Q(reported_at__gte=inp.start, reported_at__lt=inp.end,
                                       status=IncidentStatus.CANCELLED)),
        restored=Count("id", filter=Q(restored_at__gte=inp.start, restored_at__lt=inp.end)),
        resolved=Count("id", filter=Q(resolved_at__gte=inp.start, resolved_at__lt=inp.end)),
        closed=Count("id", filter=Q(closed_at__gte=inp.start, closed_at__lt=inp.end)
                     & ~Q(status=IncidentStatus.CANCELLED)),
        # Open at the end of the day: reported before it, not resolved before it, not cancelled.
        open_at_end=Count("id", filter=Q(reported_at__lt=inp.end) & (Q(resolved_at__isnull=True)
                                                                     | Q(resolved_at__gte=inp.end))
                          & ~Q(status=IncidentStatus.CANCELLED)),
    )
    requests = period_filter(org_filter(ServiceRequest.objects.all(), inp), inp, "reported_at")
    incident_ids = incidents.values("pk")
    sla_events = period_filter(TicketEvent.objects.filter(ticket_kind=TicketKind.INCIDENT,
                                                          ticket_id__in=incident_ids), inp, "created_at")
    sla = sla_events.aggregate(
        warnings=Count("id", filter=Q(action=EventAction.SLA_WARNING)),
        breaches=Count("id", filter=Q(action=EventAction.SLA_BREACH)),
        escalations=Count("id", filter=Q(action=EventAction.ESCALATED)))
    breach_rows = list(
        sla_events.filter(action=EventAction.SLA_BREACH)
        .values("created_at", "data", "ticket_id").order_by("created_at", "id")[:EXPORT_ROWS])
    numbers = dict(Incident.objects.filter(pk__in=[r["ticket_id"] for r in breach_rows]).values_list("pk", "number"))
    labels = dict(SLATargetName.choices)
    breaches = [{"at": local(r["created_at"]), "number": numbers.get(r["ticket_id"], ""),
                 "target": labels.get(r["data"].get("target", ""), r["data"].get("target", ""))} for r in breach_rows]
    major_active = incidents.filter(fault_level=FaultLevel.I, reported_at__lt=inp.end).filter(
        Q(restored_at__isnull=True) | Q(restored_at__gte=inp.start)).exclude(status=IncidentStatus.CANCELLED)
    progress = period_filter(ProgressUpdate.objects.filter(incident__in=incident_ids), inp, "created_at").count()
    work = WorkLog.objects.filter(work_date=timezone.localtime(inp.start).date()) if inp.start else WorkLog.objects.none()
    if inp.organization is not None:
        work = work.filter(Q(ticket_kind=TicketKind.INCIDENT, ticket_id__in=incident_ids)
                           | Q(ticket_kind=TicketKind.REQUEST, ticket_id__in=org_filter(
                               ServiceRequest.objects.all(), inp).values("pk")))
    work_agg = work.aggregate(minutes=Sum("minutes"), n=Count("id"))
    levels = by_level(opened.exclude(status=IncidentStatus.CANCELLED))
    new_list = [{"number": i.number, "at": local(i.reported_at), "organization": i.organization.name,
                 "ci": i.ci.name if i.ci else "", "level": i.fault_level, "title": i.title,
                 "status": label_of(i, "status")}
                for i in opened.select_related("organization", "ci").order_by("reported_at", "id")[:EXPORT_ROWS]]
    ctx = header(inp, TITLE)
    ctx.update({
        "calls": {**calls, "connect_rate": pct(calls["answered"], calls["total"])},
        "flow": flow,
        "levels": levels,
        "requests_by_type": by_choice(requests, "request_type", RequestType),
        "requests_total": requests.count(),
        "sla": sla,
        "breaches": breaches,
        "major": [{"number": i.number, "title": i.title, "status": label_of(i, "status"),
                   "restored": local(i.restored_at)} for i in major_active.order_by("reported_at")[:EXPORT_ROWS]],
        "progress_updates": progress,
        "work_minutes": work_agg["minutes"] or 0,
        "work_count": work_agg["n"],
        "new_incidents": new_list,
        "notes": str(inp.options.get("notes", "") or "").strip(),
        "chart_levels": partial(_level_chart, levels),
    })
    return ctx


def tables(ctx: dict[str, Any]) -> list[Table]:
    f, c, s = ctx["flow"], ctx["calls"], ctx["sla"]
    summary = Table(title=_("Summary"), headers=[_("Figure"), _("Value")], rows=[
        [_("Calls"), c["total"]], [_("Answered"), c["answered"]], [_("Missed"), c["missed"]],
        [_("Connect rate %"), c["connect_rate"]],
        [_("Incidents opened"), f["opened"]], [_("Service restored"), f["restored"]], [_("Resolved"), f["resolved"]],
        [_("Closed"), f["closed"]], [_("Open at the end of the day"), f["open_at_end"]],
        [_("Requests"), ctx["requests_total"]],
        [_("SLA warnings"), s["warnings"]], [_("SLA breaches"), s["breaches"]], [_("Escalations"), s["escalations"]],
        [_("Progress updates"), ctx["progress_updates"]], [_("Minutes of work logged"), ctx["work_minutes"]],
    ])
    new = Table(title=_("New incidents"),
                headers=[_("Number"), _("Reported"), _("Organisation"), _("Device"), _("Level"), _("Title"),
                         _("Status")],
                rows=[[r["number"], r["at"], r["organization"], r["ci"], r["level"], r["title"], r["status"]]
                      for r in ctx["new_incidents"]])
    breaches = Table(title=_("SLA breaches"), headers=[_("Time"), _("Incident"), _("Target")],
                     rows=[[r["at"], r["number"], str(r["target"])] for r in ctx["breaches"]])
    return [summary, new, breaches]


register(ReportKind(code="daily_log", title=TITLE, scope="period", template="reports/pdf/daily_log.html",
                    build=build, tables=tables, period_kinds=("day",)))
