"""Proactive-service report (主动服务报告, form ST.FO05-92) for a period and organisation.

"Proactive" is the work the desk did without waiting for the customer to call, as far as OpsDesk
records it (the brief's 主动监测 / 巡检 / 回访 / 培训):
- faults found proactively — incidents opened from monitoring (设备监控 / 图像监控) or an inspection
  round (巡检), against all faults of the period;
- observation-period checks carried out after resolution (观察期 Check List) and the problems found;
- call-backs to customers (回访) and what they said;
- user training delivered (service requests of type training);
- the engineer time logged on all of the above.
- the inspection rounds of the period (inspections app): completion per checklist and findings."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db.models import Avg, Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from incidents.models import Incident, ObservationCheck
from quality.choices import CallbackOutcome
from quality.models import Callback
from reports.charts import pie_chart, stacked_bar_chart
from reports.registry import ReportInput, ReportKind, Table, register
from team.choices import Attendance as TrainingAttendance
from team.models import TrainingSession
from tickets.choices import Channel, RequestStatus, RequestType, TicketKind
from tickets.models import ServiceRequest, WorkLog

from ._shared import (
    EXPORT_ROWS,
    by_level,
    counted_incidents,
    header,
    inspection_rounds,
    inspection_tables,
    label_of,
    local,
    org_filter,
    pct,
    period_filter,
)

TITLE = _("Proactive service report")
FORM = "ST.FO05-92"
PROACTIVE_CHANNELS = (Channel.MONITORING, Channel.INSPECTION)


def _source_chart(found: int, reported: int) -> Any:
    return pie_chart(slices=[(_("Proactive"), found), (_("User calls"), reported)], width=380)


def _level_chart(rows: list[dict[str, Any]]) -> Any:
    return stacked_bar_chart(labels=[r["level"] for r in rows], width=380, height=200,
                             series=[(_("Monitoring"), [r["monitoring"] for r in rows]),
                                     (_("Inspection"), [r["inspection"] for r in rows])])


def build(inp: ReportInput) -> dict[str, Any]:
    faults = counted_incidents(inp)
    proactive = faults.filter(channel__in=PROACTIVE_CHANNELS)
    found = faults.aggregate(
        total=Count("id"),
        proactive=Count("id", filter=Q(channel__in=PROACTIVE_CHANNELS)),
        monitoring=Count("id", filter=Q(channel=Channel.MONITORING)),
        inspection=Count("id", filter=Q(channel=Channel.INSPECTION)),
    )
    per_level_monitoring = {r["level"]: r["count"] for r in by_level(proactive.filter(channel=Channel.MONITORING))}
    per_level_inspection = {r["level"]: r["count"] for r in by_level(proactive.filter(channel=Channel.INSPECTION))}
    levels = [{"level": r["level"], "label": r["label"], "count": r["count"],
               "monitoring": per_level_monitoring[r["level"]], "inspection": per_level_inspection[r["level"]]}
              for r in by_level(proactive)]
    incidents = org_filter(Incident.objects.all(), inp)
    checks = period_filter(ObservationCheck.objects.filter(incident__in=incidents.values("pk")), inp, "checked_at")
    checks_agg = checks.aggregate(total=Count("id"), problems=Count("id", filter=Q(result=ObservationCheck.Result.PROBLEM)),
                                  incidents=Count("incident", distinct=True))
    callbacks = period_filter(org_filter(Callback.objects.all(), inp), inp, "called_at")
    cb = callbacks.aggregate(total=Count("id"), reached=Count("id", filter=Q(outcome=CallbackOutcome.REACHED)),
                             unhappy=Count("id", filter=Q(follow_up=True)), avg=Avg("satisfaction"))
    training = period_filter(org_filter(ServiceRequest.objects.filter(request_type=RequestType.TRAINING), inp),
                             inp, "reported_at").exclude(status=RequestStatus.CANCELLED)
    training_agg = training.aggregate(total=Count("id"), done=Count("id", filter=Q(
        status__in=(RequestStatus.RESOLVED, RequestStatus.CLOSED))))
    # Training sessions held (team app): for the organisation's users, or every session when all.
    sessions = period_filter(org_filter(TrainingSession.objects.filter(is_active=True), inp), inp, "starts_at")
    sessions_agg = sessions.aggregate(total=Count("id", distinct=True), attended=Count(
        "attendees", filter=Q(attendees__status=TrainingAttendance.ATTENDED)))
    work = period_filter(WorkLog.objects.filter(
        Q(ticket_kind=TicketKind.INCIDENT, ticket_id__in=proactive.values("pk"))
        | Q(ticket_kind=TicketKind.REQUEST, ticket_id__in=training.values("pk"))), inp, "created_at")
    work_agg = work.aggregate(minutes=Sum("minutes"), n=Count("id"))
    found_list = [{"number": i.number, "at": local(i.reported_at), "channel": label_of(i, "channel"),
                   "ci": i.ci.name if i.ci else "", "level": i.fault_level, "title": i.title,
                   "status": label_of(i, "status"), "organization": i.organization.name}
                  for i in proactive.select_related("ci", "organization").order_by("reported_at", "id")[:EXPORT_ROWS]]
    training_list = [{"number": r.number, "at": local(r.reported_at), "title": r.title,
                      "status": label_of(r, "status")}
                     for r in training.order_by("reported_at", "id")[:EXPORT_ROWS]]
    ctx = header(inp, TITLE)
    ctx.update({
        "rounds": inspection_rounds(inp),
        "form": FORM,
        "report_number": f"{FORM}-{inp.organization.code if inp.organization else 'ALL'}-{inp.period_label}",
        "found": {**found, "reported": found["total"] - found["proactive"],
                  "proactive_pct": pct(found["proactive"], found["total"])},
        "levels": levels,
        "checks": checks_agg,
        "callbacks": {**cb, "avg": round(cb["avg"], 2) if cb["avg"] is not None else None},
        "training": training_agg,
        "training_sessions": sessions_agg,
        "work_minutes": work_agg["minutes"] or 0,
        "work_count": work_agg["n"],
        "found_list": found_list,
        "training_list": training_list,
        "chart_source": partial(_source_chart, found["proactive"], found["total"] - found["proactive"]),
        "chart_levels": partial(_level_chart, levels),
    })
    return ctx


def tables(ctx: dict[str, Any]) -> list[Table]:
    f, ch, cb, tr = ctx["found"], ctx["checks"], ctx["callbacks"], ctx["training"]
    summary = Table(title=_("Summary"), headers=[_("Figure"), _("Value")], rows=[
        [_("Faults in the period"), f["total"]], [_("Found proactively"), f["proactive"]],
        [_("Found by monitoring"), f["monitoring"]], [_("Found by inspection"), f["inspection"]],
        [_("Share found proactively %"), f["proactive_pct"]],
        [_("Observation checks"), ch["total"]], [_("Problems found in observation"), ch["problems"]],
        [_("Call-backs"), cb["total"]], [_("Customers reached"), cb["reached"]],
        [_("Average satisfaction (1–5)"), cb["avg"]],
        [_("Training sessions"), tr["total"]], [_("Training delivered"), tr["done"]],
        [_("Training sessions held"), ctx["training_sessions"]["total"]],
        [_("Training attendees present"), ctx["training_sessions"]["attended"]],
        [_("Minutes of proactive work logged"), ctx["work_minutes"]],
    ])
    found = Table(title=_("Faults found proactively"),
                  headers=[_("Number"), _("Reported"), _("Found by"), _("Device"), _("Level"), _("Title"), _("Status")],
                  rows=[[r["number"], r["at"], r["channel"], r["ci"], r["level"], r["title"], r["status"]]
                        for r in ctx["found_list"]])
    training = Table(title=_("User training"), headers=[_("Number"), _("Requested"), _("Title"), _("Status")],
                     rows=[[r["number"], r["at"], r["title"], r["status"]] for r in ctx["training_list"]])
    return [summary, found, training, *inspection_tables(ctx["rounds"])]


register(ReportKind(code="proactive_service", title=TITLE, scope="period", template="reports/pdf/proactive_service.html",
                    build=build, tables=tables, period_kinds=("month", "quarter", "half", "year")))
