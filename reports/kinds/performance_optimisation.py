"""Performance optimisation report (性能优化报告), period = quarter, half year or year.

How fast the desk answers and restores, and where it is slowest: per month and fault level the
faults, the response time (reported → responded) and the restore time (reported → restored, or
resolved when no restoration was recorded); the trend of the averages; the slowest cause categories
and CI classes by average restore time; recommendations the manager writes (options["recommendations"]).

Figures: each cell's minutes are the sum over its faults rounded down to the minute; an average is
the printed minutes ÷ the printed count (0.1 min); a month's row is the sum of its level rows and
the period's row the sum of the month rows."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from incidents.choices import CauseCategory, FaultLevel
from quality.figures import month_starts
from reports.charts import line_chart
from reports.registry import ReportInput, ReportKind, Table, register

from ._shared import counted_incidents, header

TITLE = _("Performance optimisation report")
KEYS = ("faults", "responded", "response_minutes", "restored", "restore_minutes")


def _minutes(d: Any) -> int:
    return int(d.total_seconds() // 60) if d is not None else 0


def _avg(minutes: int, n: int) -> float | None:
    return round(minutes / n, 1) if n else None


def _finish(row: dict[str, Any]) -> dict[str, Any]:
    row["response_avg"] = _avg(row["response_minutes"], row["responded"])
    row["restore_avg"] = _avg(row["restore_minutes"], row["restored"])
    return row


def _timed(qs: Any) -> Any:
    response = ExpressionWrapper(F("responded_at") - F("reported_at"), output_field=DurationField())
    restore = ExpressionWrapper(Coalesce(F("restored_at"), F("resolved_at")) - F("reported_at"),
                                output_field=DurationField())
    return qs.annotate(response=response, restore=restore)


def _agg() -> dict[str, Any]:
    return {"faults": Count("id"), "responded": Count("id", filter=Q(response__isnull=False)),
            "response_sum": Sum("response"), "restored": Count("id", filter=Q(restore__isnull=False)),
            "restore_sum": Sum("restore")}


def _row(r: dict[str, Any]) -> dict[str, Any]:
    return {"faults": r["faults"], "responded": r["responded"], "response_minutes": _minutes(r["response_sum"]),
            "restored": r["restored"], "restore_minutes": _minutes(r["restore_sum"])}


def build(inp: ReportInput) -> dict[str, Any]:
    zone = timezone.get_default_timezone()
    qs = _timed(counted_incidents(inp))
    cells = {(r["m"].astimezone(zone).strftime("%Y-%m"), r["fault_level"]): _row(r) for r in (
        qs.annotate(m=TruncMonth("reported_at", tzinfo=zone)).order_by().values("m", "fault_level").annotate(**_agg()))}
    empty = dict.fromkeys(KEYS, 0)
    months = []
    for a, _b in month_starts(inp.start, inp.end) if inp.start and inp.end else []:
        label = timezone.localtime(a, zone).strftime("%Y-%m")
        levels = [_finish({"level": lv.value, **cells.get((label, lv.value), empty)}) for lv in FaultLevel]
        months.append(_finish({"label": label, "levels": levels, **{k: sum(x[k] for x in levels) for k in KEYS}}))
    total = _finish({k: sum(m[k] for m in months) for k in KEYS})
    level_totals = [_finish({"level": lv.value, "label": lv.label,
                             **{k: sum(m["levels"][i][k] for m in months) for k in KEYS}})
                    for i, lv in enumerate(FaultLevel)]
    labels = dict(CauseCategory.choices)
    causes = [_finish({"label": labels.get(r["cause_category"], _("Not yet classified")), **_row(r)})
              for r in qs.order_by().values("cause_category").annotate(**_agg())]
    classes = [_finish({"label": r["ci__ci_class__name"] or _("No device"), **_row(r)})
               for r in qs.order_by().values("ci__ci_class__name").annotate(**_agg())]
    slow = sorted((r for r in causes if r["restored"]), key=lambda r: -(r["restore_avg"] or 0))[:10]
    slow_classes = sorted((r for r in classes if r["restored"]), key=lambda r: -(r["restore_avg"] or 0))[:10]
    ctx = header(inp, TITLE)
    ctx.update({
        "months": months, "total": total, "level_totals": level_totals, "slow_causes": slow,
        "slow_classes": slow_classes,
        "recommendations": str(inp.options.get("recommendations", "") or "").strip(),
        "chart_restore": partial(lambda rows: line_chart(
            labels=[r["label"] for r in rows], width=520, height=200,
            series=[(f"{lv.value}", [r["levels"][i]["restore_avg"] for r in rows]) for i, lv in enumerate(FaultLevel)]),
            months),
        "chart_response": partial(lambda rows: line_chart(
            labels=[r["label"] for r in rows], width=520, height=200,
            series=[(f"{lv.value}", [r["levels"][i]["response_avg"] for r in rows]) for i, lv in enumerate(FaultLevel)]),
            months),
    })
    return ctx


def tables(ctx: dict[str, Any]) -> list[Table]:
    heads = [_("Faults"), _("Responded"), _("Response minutes"), _("Average response (min)"), _("Restored"),
             _("Restore minutes"), _("Average restore (min)")]

    def cells(r: dict[str, Any]) -> list[Any]:
        return [r["faults"], r["responded"], r["response_minutes"], r["response_avg"], r["restored"],
                r["restore_minutes"], r["restore_avg"]]

    trend = Table(title=_("Response and restore times by month and level"), headers=[_("Month"), _("Level"), *heads],
                  rows=[[m["label"], x["level"], *cells(x)] for m in ctx["months"] for x in m["levels"]]
                  + [[m["label"], _("All"), *cells(m)] for m in ctx["months"]] + [[_("Period"), _("All"), *cells(ctx["total"])]])
    causes = Table(title=_("Slowest cause categories"), headers=[_("Cause"), *heads],
                   rows=[[str(r["label"]), *cells(r)] for r in ctx["slow_causes"]])
    classes = Table(title=_("Slowest CI classes"), headers=[_("Class"), *heads],
                    rows=[[str(r["label"]), *cells(r)] for r in ctx["slow_classes"]])
    return [trend, causes, classes]


register(ReportKind(code="performance_optimisation", title=TITLE, scope="period",
                    template="reports/pdf/performance_optimisation.html", build=build, tables=tables,
                    period_kinds=("quarter", "half", "year")))
