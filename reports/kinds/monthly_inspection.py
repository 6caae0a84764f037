"""Monthly inspection report (巡检报告, seed 1.1-4 2>: "每月应对系统和关键设备进行巡检，写出巡检报告并
提供给采购人"): the month's inspection rounds per checklist with their record forms, completion,
overdue rounds, and every finding with the incident it opened or joined (inspections app)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from reports.registry import ReportInput, ReportKind, Table, register

from ._shared import header, inspection_rounds, inspection_tables

TITLE = _("Monthly inspection report")


def build(inp: ReportInput) -> dict[str, Any]:
    ctx = header(inp, TITLE)
    ctx["rounds"] = inspection_rounds(inp)
    return ctx


def tables(ctx: dict[str, Any]) -> list[Table]:
    r = ctx["rounds"]
    summary = Table(title=_("Summary"), headers=[_("Figure"), _("Value")], rows=[
        [pgettext_lazy("inspection", "Rounds"), r["rounds"]], [pgettext_lazy("inspection round", "Done"), r["done"]], [_("Overdue"), r["overdue"]],
        [_("Completion %"), r["completion"]], [_("Devices inspected"), r["cis"]], [_("Answers"), r["answers"]],
        [_("Findings"), r["findings"]], [_("Incidents opened or joined"), r["incidents"]],
    ])
    return [summary, *inspection_tables(r)]


register(ReportKind(code="monthly_inspection", title=TITLE, scope="period",
                    template="reports/pdf/monthly_inspection.html", build=build, tables=tables,
                    period_kinds=("month", "quarter")))
