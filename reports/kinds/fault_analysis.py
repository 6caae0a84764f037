"""Fault-handling analysis report (故障处理分析报告, form ST.FO05-96), one per incident, due within
three days of resolution: timeline, cause, handling, restoration, prevention and sign-off.

The text comes from the analyst's draft (reports/analysis.py): a generated report shows the latest
published version, else the draft, else the pre-fill from the incident; publishing renders it with the
frozen content passed in options["content"]."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext_lazy as _

from incidents.choices import CauseCategory
from reports.analysis import SECTIONS, SIGNOFF, TIMELINE_LABELS, analysis_current_content
from reports.registry import ReportInput, ReportKind, Table, register
from tickets.choices import SLATargetName

from ._shared import header, incident_facts, incident_for_report, local

TITLE = _("Fault handling analysis report")
FORM = "ST.FO05-96"


def build(inp: ReportInput) -> dict[str, Any]:
    incident = incident_for_report(inp)
    content: dict[str, Any] | None = inp.options.get("content")
    version_number = inp.options.get("version_number")
    if content is None:
        content, version_number = analysis_current_content(incident=incident)
    timeline: list[dict[str, Any]] = []
    for row in content.get("timeline", []):
        kind = row.get("kind", "")
        text = row.get("text", "")
        # An escalation keeps only its level number; the template words it in the report's language.
        level = text if kind == "escalated" else ""
        if kind == "sla_breach" and text in SLATargetName.values:
            text = SLATargetName(text).label
        timeline.append({"at": local(datetime.fromisoformat(row["at"])), "what": TIMELINE_LABELS.get(kind, kind),
                         "text": "" if level else text, "level": level})
    ctx = header(inp, TITLE)
    ctx["period_label"] = inp.period_label or incident.number
    ctx.update(incident_facts(incident, inp.now))
    ctx.update({
        "form": FORM,
        "report_number": f"{FORM}-{incident.number}" + (f"-v{version_number}" if version_number else ""),
        "service_date": local(incident.resolved_at or incident.reported_at)[:10],
        "version_number": version_number,
        "is_draft": version_number is None,
        "published_by": inp.options.get("published_by") or content.get("published_by", ""),
        "sections": [{"name": name, "label": label, "text": content.get(name, "")} for name, label in SECTIONS],
        "signoff": [{"name": name, "label": label, "text": content.get(name, "")} for name, label in SIGNOFF],
        "timeline": timeline,
        "cause_category_label": (CauseCategory(incident.cause_category).label if incident.cause_category else ""),
    })
    return ctx


def tables(ctx: dict[str, Any]) -> list[Table]:
    return [
        Table(title=_("Timeline"), headers=[_("Time"), _("Event"), _("Detail")],
              rows=[[r["at"], str(r["what"]), r["level"] or str(r["text"])] for r in ctx["timeline"]]),
        Table(title=_("Analysis"), headers=[_("Section"), _("Text")],
              rows=[[str(s["label"]), s["text"]] for s in ctx["sections"]]),
    ]


register(ReportKind(code="fault_analysis", title=TITLE, scope="incident", template="reports/pdf/fault_analysis.html",
                    build=build, tables=tables, period_kinds=()))
