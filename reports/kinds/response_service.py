"""Response-service report (响应服务报告, form ST.FO05-94), one per incident: submitted once service is
restored. Who called, about which device, when the desk responded, arrived and restored against the
SLA targets, what was done (the time logged and the restoration and resolution texts), spare devices
lent, and the customer's confirmation. The report goes to the customer (portal, e-mail), so work-log
notes, which are internal, are never in it: only who worked when and for how long."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Sum
from django.utils.translation import gettext_lazy as _

from incidents.models import SpareLoan
from quality.models import SatisfactionRating
from reports.registry import ReportInput, ReportKind, Table, register
from tickets.choices import TicketKind
from tickets.models import WorkLog

from ._shared import header, incident_facts, incident_for_report, local

TITLE = _("Response service report")
FORM = "ST.FO05-94"


def build(inp: ReportInput) -> dict[str, Any]:
    incident = incident_for_report(inp)
    facts = incident_facts(incident, inp.now)
    logs = WorkLog.objects.filter(ticket_kind=TicketKind.INCIDENT, ticket_id=incident.pk)
    work_total = logs.aggregate(minutes=Sum("minutes"), n=Count("id"))
    work = [{"date": w.work_date, "author": w.author.display_name, "minutes": w.minutes}
            for w in logs.select_related("author").order_by("work_date", "created_at", "id")]
    loans = [{"description": loan.description, "faulty": loan.faulty_ci.name if loan.faulty_ci else "",
              "lent": local(loan.lent_at), "returned": local(loan.returned_at)}
             for loan in SpareLoan.objects.filter(incident=incident).select_related("faulty_ci").order_by("lent_at")]
    rating = (SatisfactionRating.objects.filter(ticket_kind=TicketKind.INCIDENT, ticket_id=incident.pk)
              .order_by("-created_at").first())
    service_day = incident.onsite_at or incident.responded_at or incident.reported_at
    ctx = header(inp, TITLE)
    ctx["period_label"] = inp.period_label or incident.number
    ctx.update(facts)
    ctx.update({
        "form": FORM,
        "report_number": f"{FORM}-{incident.number}",
        "service_date": local(service_day)[:10],
        "work": work,
        "work_minutes": work_total["minutes"] or 0,
        "work_count": work_total["n"],
        "loans": loans,
        "rating_stars": rating.stars if rating else None,
        "rating_comment": rating.comment if rating else "",
    })
    return ctx


def tables(ctx: dict[str, Any]) -> list[Table]:
    times = Table(title=_("Times"), headers=[_("Step"), _("Time"), _("Minutes after the report")],
                  rows=[[str(t["label"]), t["local"], t["minutes"]] for t in ctx["times"]])
    sla = Table(title=_("SLA targets"), headers=[_("Target"), _("Due"), _("Met at"), _("Result")],
                rows=[[r["label"], r["due_local"], r["met_local"], r["verdict"]] for r in ctx["sla"]])
    work = Table(title=_("Work done"), headers=[_("Date"), _("Engineer"), _("Minutes")],
                 rows=[[w["date"], w["author"], w["minutes"]] for w in ctx["work"]])
    return [times, sla, work]


register(ReportKind(code="response_service", title=TITLE, scope="incident",
                    template="reports/pdf/response_service.html", build=build, tables=tables, period_kinds=()))
