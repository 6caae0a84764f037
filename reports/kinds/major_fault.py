"""Major-fault report (重大故障报告), one per incident: the event notice the project's deputy manager
owes the customer for a major fault — fault level, impact, who was notified and escalated, and the
hourly progress timeline (the service manager reports progress every hour until service is restored),
with every gap longer than the hour marked."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any

from django.db.models import F, Window
from django.db.models.functions import Lag
from django.utils.translation import gettext_lazy as _

from incidents.models import ProgressUpdate
from reports.charts import bar_chart
from reports.registry import ReportInput, ReportKind, Table, register
from tickets.choices import EventAction, TicketKind
from tickets.models import TicketEvent

from ._shared import header, incident_facts, incident_for_report, local, minutes_between

TITLE = _("Major fault report")
PROGRESS_INTERVAL = timedelta(hours=1)


def _gap_chart(gaps: list[int]) -> Any:
    return bar_chart(labels=[str(i + 1) for i in range(len(gaps))], values=gaps, width=420, height=160)


def build(inp: ReportInput) -> dict[str, Any]:
    incident = incident_for_report(inp)
    facts = incident_facts(incident, inp.now)
    # Each update with the time of the one before it (the first counts from the report), in SQL.
    updates = (ProgressUpdate.objects.filter(incident=incident).select_related("author")
               .annotate(previous_at=Window(Lag("created_at"), order_by=[F("created_at").asc(), F("id").asc()]))
               .order_by("created_at", "id"))
    limit = int(PROGRESS_INTERVAL.total_seconds() // 60)
    timeline: list[dict[str, Any]] = []
    late = 0
    for u in updates:
        since = u.previous_at or incident.reported_at
        gap = minutes_between(since, u.created_at) or 0
        on_time = gap <= limit
        late += 0 if on_time else 1
        timeline.append({"at": local(u.created_at), "author": u.author.display_name, "body": u.body,
                         "gap": gap, "on_time": on_time,
                         "hours": round((u.created_at - incident.reported_at).total_seconds() / 3600, 2)})
    restored = incident.restored_at
    escalations = [{"at": local(e.created_at), "level": e.data.get("level"), "target": e.data.get("target", "")}
                   for e in TicketEvent.objects.filter(ticket_kind=TicketKind.INCIDENT, ticket_id=incident.pk,
                                                       action=EventAction.ESCALATED).order_by("seq")]
    notified = TicketEvent.objects.filter(ticket_kind=TicketKind.INCIDENT, ticket_id=incident.pk,
                                          action=EventAction.NOTIFIED).count()
    ctx = header(inp, TITLE)
    ctx["period_label"] = inp.period_label or incident.number
    ctx.update(facts)
    ctx.update({
        "report_number": f"MF-{incident.number}",
        "progress": timeline,
        "progress_count": len(timeline),
        "progress_late": late,
        "progress_limit_minutes": limit,
        "still_down": restored is None,
        "down_minutes": minutes_between(incident.reported_at, restored or inp.now),
        "escalations": escalations,
        "notified_count": notified,
        "chart_gaps_svg": partial(_gap_chart, [row["gap"] for row in timeline]),
    })
    return ctx


def tables(ctx: dict[str, Any]) -> list[Table]:
    return [Table(title=_("Progress timeline"),
                  headers=[_("Time"), _("Hours since the report"), _("Minutes since the previous update"),
                           _("Within the hour"), _("By"), _("Progress")],
                  rows=[[r["at"], r["hours"], r["gap"], r["on_time"], r["author"], r["body"]]
                        for r in ctx["progress"]])]


register(ReportKind(code="major_fault", title=TITLE, scope="incident", template="reports/pdf/major_fault.html",
                    build=build, tables=tables, period_kinds=()))
