"""System optimisation plan report (系统优化方案报告), period = month, quarter, half year or year.

What keeps failing and what to do about it: the period's faults by CI class (with the share of all
faults), the CIs with the most faults and those that failed repeatedly (3+ times in the period), the
problems behind recurring faults (incidents linked to a problem in the period), the known errors and
their workarounds, and the optimisation recommendations a manager writes (options["recommendations"];
options["summary"] for the current state).

Figures: the class rows plus "no device" add up to the period's faults; a share = the row's faults ÷
the printed total; counts are of faults (counted incidents, see _shared)."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db.models import Count, F
from django.utils.translation import gettext_lazy as _

from incidents.selectors import REPLACEMENT_THRESHOLD
from problems.choices import ProblemStatus
from problems.models import Problem, ProblemIncident
from reports.charts import hbar_chart
from reports.registry import ReportInput, ReportKind, Table, register

from ._shared import EXPORT_ROWS, counted_incidents, header, label_of, org_filter, pct, top_cis

TITLE = _("System optimisation plan report")


def build(inp: ReportInput) -> dict[str, Any]:
    faults = counted_incidents(inp)
    total = faults.count()
    no_device = faults.filter(ci__isnull=True).count()
    classes = [{"label": r["ci__ci_class__name"], "count": r["n"], "share": pct(r["n"], total)}
               for r in faults.filter(ci__isnull=False).order_by().values("ci__ci_class__name")
               .annotate(n=Count("id")).order_by("-n", "ci__ci_class__name")]
    repeat = [dict(r) for r in faults.filter(ci__isnull=False).order_by().values("ci_id")
              .annotate(faults=Count("id"), name=F("ci__name"), location=F("ci__location"), ci_class=F("ci__ci_class__name"))
              .filter(faults__gte=REPLACEMENT_THRESHOLD).order_by("-faults", "name")[:EXPORT_ROWS]]
    links = ProblemIncident.objects.filter(unlinked_at__isnull=True, incident__in=faults.values("pk"))
    recurring: list[dict[str, Any]] = list(links.order_by().values("problem_id").annotate(
        n=Count("incident_id", distinct=True), number=F("problem__number"), title=F("problem__title"),
        status=F("problem__status"), known=F("problem__known_error")).order_by("-n", "number")[:EXPORT_ROWS])  # type: ignore[arg-type]
    status_labels = dict(ProblemStatus.choices)
    for r in recurring:
        r["status_label"] = status_labels.get(r["status"], r["status"])
    known = org_filter(Problem.objects.filter(known_error=True).exclude(status=ProblemStatus.CANCELLED), inp)
    in_period = dict(links.filter(problem__known_error=True).order_by().values("problem_id")
                     .annotate(n=Count("incident_id", distinct=True)).values_list("problem_id", "n"))
    known_rows = [{"number": p.number, "title": p.title, "status": label_of(p, "status"),
                   "workaround": p.workaround, "root_cause": p.root_cause, "fix": p.fix_change_number,
                   "incidents": in_period.get(p.pk, 0)}
                  for p in known.order_by("-known_error_at", "-id")[:EXPORT_ROWS]]
    known_rows.sort(key=lambda r: -r["incidents"])
    top = top_cis(faults)
    ctx = header(inp, TITLE)
    ctx.update({
        "total": total, "no_device": no_device, "no_device_share": pct(no_device, total), "classes": classes,
        "top_cis": top, "top_faults": sum(r["faults"] for r in top), "repeat": repeat,
        "repeat_threshold": REPLACEMENT_THRESHOLD, "recurring": recurring,
        "recurring_faults": sum(r["n"] for r in recurring), "known": known_rows,
        "open_problems": org_filter(Problem.objects.filter(status__in=(
            ProblemStatus.NEW, ProblemStatus.INVESTIGATING, ProblemStatus.KNOWN_ERROR)), inp).count(),
        "summary": str(inp.options.get("summary", "") or "").strip(),
        "recommendations": str(inp.options.get("recommendations", "") or "").strip(),
        "chart_classes": partial(lambda rows: hbar_chart(labels=[r["label"] for r in rows[:10]], width=520,
                                                         values=[r["count"] for r in rows[:10]]), classes),
    })
    ctx["problem_faults_share"] = pct(ctx["recurring_faults"], total)
    ctx["faults_without_problem"] = total - faults.filter(pk__in=links.values("incident_id")).count()
    return ctx


def tables(ctx: dict[str, Any]) -> list[Table]:
    classes = Table(title=_("Faults by CI class"), headers=[_("Class"), _("Faults"), _("Share %")],
                    rows=[[r["label"], r["count"], r["share"]] for r in ctx["classes"]]
                    + [[_("No device"), ctx["no_device"], ctx["no_device_share"]], [_("Total"), ctx["total"], 100.0 if ctx["total"] else None]])
    top = Table(title=_("Devices with most faults"), headers=[_("Device"), _("Class"), _("Location"), _("Faults")],
                rows=[[r["name"], r["ci_class"], r["location"], r["faults"]] for r in ctx["top_cis"]])
    repeat = Table(title=_("Devices that failed repeatedly"), headers=[_("Device"), _("Class"), _("Location"), _("Faults")],
                   rows=[[r["name"], r["ci_class"], r["location"], r["faults"]] for r in ctx["repeat"]])
    recurring = Table(title=_("Problems behind recurring faults"), headers=[_("Problem"), _("Title"), _("Status"), _("Faults")],
                      rows=[[r["number"], r["title"], r["status_label"], r["n"]] for r in ctx["recurring"]])
    known = Table(title=_("Known errors"), headers=[_("Problem"), _("Title"), _("Status"), _("Faults in the period"),
                                                    _("Workaround"), _("Fixed by change")],
                  rows=[[r["number"], r["title"], r["status"], r["incidents"], r["workaround"], r["fix"]] for r in ctx["known"]])
    return [classes, top, repeat, recurring, known]


register(ReportKind(code="optimisation", title=TITLE, scope="period", template="reports/pdf/optimisation.html",
                    build=build, tables=tables, period_kinds=("month", "quarter", "half", "year")))
