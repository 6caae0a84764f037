"""Service summary (维护总结: 年度 / 季度 / 月度), period = month, quarter, half year or year.

In the brief's outline: (1) the maintenance service provided, (2) the service summarised — platform
maintenance work, platform faults, service types, (3) inspection work, (4) summary and improvement
suggestions (typed by the manager, options["recommendations"])."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from incidents.models import Incident, ObservationCheck
from reports.charts import bar_chart, line_chart, pie_chart
from reports.registry import ReportInput, ReportKind, Table, register
from tickets.choices import CallOutcome, Channel, RequestStatus, RequestType, TicketKind
from tickets.models import CallRecord, ServiceRequest, WorkLog

from ._shared import (
    by_choice,
    cmdb_figures,
    complaints,
    fault_overview,
    header,
    inspection_rounds,
    inspection_tables,
    org_filter,
    pct,
    period_filter,
    satisfaction,
)

TITLE = _("Service summary")


def build(inp: ReportInput) -> dict[str, Any]:
    ov = fault_overview(inp)
    calls = period_filter(org_filter(CallRecord.objects.all(), inp), inp, "received_at").aggregate(
        total=Count("id"), answered=Count("id", filter=Q(outcome=CallOutcome.ANSWERED)))
    requests = period_filter(org_filter(ServiceRequest.objects.all(), inp), inp, "reported_at").exclude(
        status=RequestStatus.CANCELLED)
    req = requests.aggregate(total=Count("id"), done=Count("id", filter=Q(
        status__in=(RequestStatus.RESOLVED, RequestStatus.CLOSED))))
    incidents = org_filter(Incident.objects.all(), inp)
    work = period_filter(WorkLog.objects.filter(
        Q(ticket_kind=TicketKind.INCIDENT, ticket_id__in=incidents.values("pk"))
        | Q(ticket_kind=TicketKind.REQUEST, ticket_id__in=org_filter(ServiceRequest.objects.all(), inp).values("pk"))),
        inp, "created_at").aggregate(minutes=Sum("minutes"), n=Count("id"))
    inspection = {
        "found_by_inspection": next((r["count"] for r in ov["channels"] if r["value"] == Channel.INSPECTION), 0),
        "found_by_monitoring": next((r["count"] for r in ov["channels"] if r["value"] == Channel.MONITORING), 0),
        **period_filter(ObservationCheck.objects.filter(incident__in=incidents.values("pk")), inp, "checked_at")
        .aggregate(checks=Count("id"), problems=Count("id", filter=Q(result=ObservationCheck.Result.PROBLEM))),
    }
    types = by_choice(requests, "request_type", RequestType)
    ctx = header(inp, TITLE)
    ctx.update(ov)
    ctx.update({
        "rounds": inspection_rounds(inp),
        "calls": {**calls, "connect_rate": pct(calls["answered"], calls["total"])},
        "requests": {**req, "by_type": types},
        "work_minutes": work["minutes"] or 0,
        "work_hours": round((work["minutes"] or 0) / 60, 1),
        "work_count": work["n"],
        "inspection": inspection,
        "cmdb": cmdb_figures(inp),
        "complaints": complaints(inp),
        "satisfaction": satisfaction(inp),
        "recommendations": str(inp.options.get("recommendations", "") or "").strip(),
        "chart_trend": partial(lambda rows: line_chart(labels=[r["label"] for r in rows], width=380, height=200,
                                                       series=[(_("Faults"), [r["count"] for r in rows])]),
                               ov["trend"]),
        "chart_levels": partial(lambda rows: bar_chart(labels=[r["level"] for r in rows], width=380, height=200,
                                                       values=[r["count"] for r in rows]), ov["levels"]),
        "chart_types": partial(lambda rows: pie_chart(slices=[(r["label"], r["count"]) for r in rows]), types),
    })
    return ctx


def tables(ctx: dict[str, Any]) -> list[Table]:
    f, d, c, r = ctx["faults"], ctx["durations"], ctx["calls"], ctx["requests"]
    summary = Table(title=_("Summary"), headers=[_("Figure"), _("Value")], rows=[
        [_("Calls"), c["total"]], [_("Connect rate %"), c["connect_rate"]],
        [_("Faults"), f["total"]], [_("Major faults (level I–II)"), f["major"]], [_("Resolved"), f["resolved"]],
        [_("Total fault duration (minutes)"), d["total_minutes"]], [_("Average fault duration (minutes)"), d["avg_minutes"]],
        [_("Requests"), r["total"]], [_("Requests completed"), r["done"]],
        [_("Hours of work logged"), ctx["work_hours"]], [_("Complaints"), ctx["complaints"]["total"]],
        [_("Average rating (1–5)"), ctx["satisfaction"]["avg"]],
    ])
    types = Table(title=_("Requests by type"), headers=[_("Type"), _("Requests")],
                  rows=[[str(x["label"]), x["count"]] for x in r["by_type"]])
    levels = Table(title=_("Faults by level"), headers=[_("Level"), _("Faults")],
                   rows=[[x["label"], x["count"]] for x in ctx["levels"]])
    months = Table(title=_("Faults by month"), headers=[_("Month"), _("Faults")],
                   rows=[[x["label"], x["count"]] for x in ctx["trend"]])
    sla = Table(title=_("SLA attainment"), headers=[_("Target"), _("Met"), _("Missed"), _("Attainment %")],
                rows=[[x["label"], x["met"], x["missed"], x["pct"]] for x in ctx["sla"]])
    return [summary, types, levels, months, sla, *inspection_tables(ctx["rounds"])]


register(ReportKind(code="service_summary", title=TITLE, scope="period", template="reports/pdf/service_summary.html",
                    build=build, tables=tables, period_kinds=("month", "quarter", "half", "year")))
