"""Quarterly device & system management report (每季度的设备和系统管理报告), period = quarter.

The brief's outline — (1) the customer's systems (front-end devices, monitoring centre), (2) capacity,
(3) network quality with the faults and complaints, (4) evaluation and optimisation recommendations —
filled from what the desk knows: the CMDB (systems and devices by class and status), the quarter's
faults (levels, causes, classes, months, durations, the devices with most faults and those flagged for
replacement), complaints, SLA attainment, satisfaction, changes carried out and spare parts used; the
evaluation and recommendations are typed by the manager (options["recommendations"])."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db.models import Count, F
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from incidents.selectors import REPLACEMENT_THRESHOLD
from reports.charts import bar_chart, line_chart, pie_chart
from reports.registry import ReportInput, ReportKind, Table, register

from ._assurance import availability, availability_table
from ._shared import (
    EXPORT_ROWS,
    change_figures,
    cmdb_figures,
    complaints,
    counted_incidents,
    fault_overview,
    header,
    inspection_rounds,
    inspection_tables,
    satisfaction,
    spare_figures,
)

TITLE = _("Quarterly device and system management report")


def replacement_flags(inp: ReportInput) -> list[dict[str, Any]]:
    """Devices with 3+ faults in one calendar month of the period (the brief's replacement rule)."""
    zone = timezone.get_default_timezone()
    rows = (counted_incidents(inp).filter(ci__isnull=False)
            .annotate(month=TruncMonth("reported_at", tzinfo=zone)).order_by()
            .values("ci_id", "month")
            .annotate(faults=Count("id"), name=F("ci__name"), location=F("ci__location"))
            .filter(faults__gte=REPLACEMENT_THRESHOLD)
            .order_by("month", "-faults", "name")[:EXPORT_ROWS])
    return [{**r, "month_label": r["month"].astimezone(zone).strftime("%Y-%m")} for r in rows]


def _charts(ov: dict[str, Any]) -> dict[str, Any]:
    return {
        "chart_trend": partial(lambda rows: line_chart(labels=[r["label"] for r in rows], width=380, height=200,
                                                       series=[(_("Faults"), [r["count"] for r in rows])]),
                               ov["trend"]),
        "chart_levels": partial(lambda rows: bar_chart(labels=[r["level"] for r in rows], width=380, height=200,
                                                       values=[r["count"] for r in rows]), ov["levels"]),
        "chart_causes": partial(lambda rows: pie_chart(slices=[(r["label"], r["count"]) for r in rows]),
                                ov["causes"]),
    }


def build(inp: ReportInput) -> dict[str, Any]:
    ov = fault_overview(inp)
    ctx = header(inp, TITLE)
    ctx.update(ov)
    ctx.update(_charts(ov))
    ctx.update({
        "rounds": inspection_rounds(inp),
        "cmdb": cmdb_figures(inp),
        "complaints": complaints(inp),
        "satisfaction": satisfaction(inp),
        "replacements": replacement_flags(inp),
        "changes": change_figures(inp),
        "spares": spare_figures(inp),
        "availability": availability(inp),
        "recommendations": str(inp.options.get("recommendations", "") or "").strip(),
    })
    return ctx


def tables(ctx: dict[str, Any]) -> list[Table]:
    statuses = ctx["cmdb"]["statuses"]
    cmdb = Table(title=_("Systems and devices"), headers=[_("Class"), _("Total"), *[s["label"] for s in statuses]],
                 rows=[[r["label"], r["total"], *[r[s["value"]] for s in statuses]] for r in ctx["cmdb"]["classes"]])
    f, d = ctx["faults"], ctx["durations"]
    faults = Table(title=_("Faults"), headers=[_("Figure"), _("Value")], rows=[
        [_("Faults"), f["total"]], [_("Major faults (level I–II)"), f["major"]], [_("Resolved"), f["resolved"]],
        [_("Still open"), f["open"]], [_("Total fault duration (minutes)"), d["total_minutes"]],
        [_("Average fault duration (minutes)"), d["avg_minutes"]],
        [_("Complaints"), ctx["complaints"]["total"]],
    ])
    levels = Table(title=_("Faults by level"), headers=[_("Level"), _("Faults")],
                   rows=[[r["label"], r["count"]] for r in ctx["levels"]])
    causes = Table(title=_("Faults by cause"), headers=[_("Cause"), _("Faults")],
                   rows=[[str(r["label"]), r["count"]] for r in ctx["causes"]])
    months = Table(title=_("Faults by month"), headers=[_("Month"), _("Faults")],
                   rows=[[r["label"], r["count"]] for r in ctx["trend"]])
    sla = Table(title=_("SLA attainment"), headers=[_("Target"), _("Met"), _("Missed"), _("Attainment %")],
                rows=[[r["label"], r["met"], r["missed"], r["pct"]] for r in ctx["sla"]])
    top = Table(title=_("Devices with most faults"), headers=[_("Device"), _("Class"), _("Location"), _("Faults")],
                rows=[[r["name"], r["ci_class"], r["location"], r["faults"]] for r in ctx["top_cis"]])
    flagged = Table(title=_("Devices flagged for replacement"),
                    headers=[_("Month"), _("Device"), _("Location"), _("Faults in the month")],
                    rows=[[r["month_label"], r["name"], r["location"], r["faults"]] for r in ctx["replacements"]])
    out = [cmdb, faults, levels, causes, months, sla, top, flagged, availability_table(ctx["availability"])]
    if ctx["changes"] is not None:
        out.append(Table(title=_("Changes implemented"), headers=[_("Number"), _("Title"), _("Type"), pgettext_lazy("time", "Implemented")],
                         rows=[[r["number"], r["title"], r["type"], r["implemented"]] for r in ctx["changes"]["rows"]]))
    if ctx["spares"] is not None:
        out.append(Table(title=_("Spare parts issued"), headers=[_("Part number"), _("Name"), _("Quantity"), _("Issues")],
                         rows=[[r["part_number"], r["name"], r["quantity"], r["issues"]] for r in ctx["spares"]["parts"]]))
    return out + inspection_tables(ctx["rounds"])


register(ReportKind(code="quarterly_management", title=TITLE, scope="period",
                    template="reports/pdf/quarterly_management.html", build=build, tables=tables,
                    period_kinds=("quarter",)))
