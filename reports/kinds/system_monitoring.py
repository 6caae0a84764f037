"""System monitoring report (系统监控报告), period = month, quarter, half year or year.

From the monitoring intake (monitoring app): the alerts first seen in the period per month, how
often they were received, how many led to an incident (opened or joined), the noisiest sources, CIs
and alert titles, and the time to acknowledge (MTTA): from the alert's first arrival to the response
(accept) of the incident it fed.

Figures: the month rows add up to the period row; the incident rate = alerts with an incident ÷
alerts; MTTA = the printed total minutes ÷ the acknowledged alerts (those whose incident was
responded to after the alert arrived), 0.1 min. An alert is counted in the month it was first seen."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from monitoring.choices import AlertState
from monitoring.models import AlertRecord
from quality.figures import month_starts
from reports.charts import hbar_chart, stacked_bar_chart
from reports.registry import ReportInput, ReportKind, Table, register

from ._shared import header, org_filter, pct, period_filter

TITLE = _("System monitoring report")
TOP = 10


def alerts_of(inp: ReportInput) -> Any:
    return period_filter(org_filter(AlertRecord.objects.all(), inp), inp, "first_seen")


def build(inp: ReportInput) -> dict[str, Any]:
    zone = timezone.get_default_timezone()
    qs = alerts_of(inp)
    acked = Q(incident__responded_at__isnull=False, incident__responded_at__gte=F("first_seen"))
    wait = ExpressionWrapper(F("incident__responded_at") - F("first_seen"), output_field=DurationField())
    per_month = {r["m"].astimezone(zone).strftime("%Y-%m"): r for r in (
        qs.annotate(m=TruncMonth("first_seen", tzinfo=zone), wait=wait).order_by().values("m").annotate(
            alerts=Count("id"), received=Sum("count"), with_incident=Count("id", filter=Q(incident__isnull=False)),
            correlated=Count("id", filter=Q(correlated=True)),
            ignored=Count("id", filter=Q(state__in=(AlertState.IGNORED, AlertState.UNMAPPED, AlertState.HELD))),
            acked=Count("id", filter=acked), wait_total=Sum("wait", filter=acked)))}
    months = []
    for a, _b in month_starts(inp.start, inp.end) if inp.start and inp.end else []:
        label = timezone.localtime(a, zone).strftime("%Y-%m")
        r = per_month.get(label, {})
        wait_minutes = int(r["wait_total"].total_seconds() // 60) if r.get("wait_total") else 0
        months.append({"label": label, "alerts": r.get("alerts", 0), "received": r.get("received") or 0,
                       "with_incident": r.get("with_incident", 0), "correlated": r.get("correlated", 0),
                       "ignored": r.get("ignored", 0), "acked": r.get("acked", 0), "wait_minutes": wait_minutes})
    total = {k: sum(m[k] for m in months) for k in ("alerts", "received", "with_incident", "correlated", "ignored",
                                                     "acked", "wait_minutes")}
    for row in (*months, total):
        row["incident_rate"] = pct(row["with_incident"], row["alerts"])
        row["mtta"] = round(row["wait_minutes"] / row["acked"], 1) if row["acked"] else None
    sources = [dict(r) for r in qs.order_by().values("source_id").annotate(
        name=F("source__name"), alerts=Count("id"), received=Sum("count"),
        with_incident=Count("id", filter=Q(incident__isnull=False))).order_by("-received", "-alerts", "name")[:TOP]]
    cis = [dict(r) for r in qs.filter(ci__isnull=False).order_by().values("ci_id").annotate(
        name=F("ci__name"), alerts=Count("id"), received=Sum("count")).order_by("-received", "-alerts", "name")[:TOP]]
    titles = [dict(r) for r in qs.order_by().values("title").annotate(alerts=Count("id"), received=Sum("count"))
              .order_by("-received", "-alerts", "title")[:TOP]]
    for rows in (sources, cis):
        for r in rows:
            r["share"] = pct(r["received"], total["received"])
    ctx = header(inp, TITLE)
    ctx.update({
        "months": months, "total": total, "sources": sources, "cis": cis, "titles": titles,
        "has_data": bool(total["alerts"]),
        "chart_months": partial(lambda rows: stacked_bar_chart(
            labels=[r["label"] for r in rows], width=520, height=200,
            series=[(_("Alerts with an incident"), [r["with_incident"] for r in rows]),
                    (_("Other alerts"), [r["alerts"] - r["with_incident"] for r in rows])]), months),
        "chart_sources": partial(lambda rows: hbar_chart(labels=[r["name"] for r in rows], width=520,
                                                         values=[r["received"] for r in rows]), sources),
    })
    return ctx


def tables(ctx: dict[str, Any]) -> list[Table]:
    t = ctx["total"]
    months = Table(title=_("Alerts by month"), headers=[
        _("Month"), _("Alerts"), _("Times received"), _("With an incident"), _("Incident rate %"), _("Ignored or held"),
        _("Acknowledged"), _("Minutes to acknowledge"), _("MTTA (min)")],
        rows=[[m["label"], m["alerts"], m["received"], m["with_incident"], m["incident_rate"], m["ignored"], m["acked"],
               m["wait_minutes"], m["mtta"]] for m in [*ctx["months"], {**t, "label": _("Period")}]])
    sources = Table(title=_("Noisiest sources"), headers=[_("Source"), _("Alerts"), _("Times received"), _("Share %"),
                                                          _("With an incident")],
                    rows=[[r["name"], r["alerts"], r["received"], r["share"], r["with_incident"]] for r in ctx["sources"]])
    cis = Table(title=_("Noisiest CIs"), headers=[_("CI"), _("Alerts"), _("Times received"), _("Share %")],
                rows=[[r["name"], r["alerts"], r["received"], r["share"]] for r in ctx["cis"]])
    titles = Table(title=_("Most frequent alerts"), headers=[pgettext_lazy("monitoring", "Alert"), _("Alerts"), _("Times received")],
                   rows=[[r["title"], r["alerts"], r["received"]] for r in ctx["titles"]])
    return [months, sources, cis, titles]


register(ReportKind(code="system_monitoring", title=TITLE, scope="period", template="reports/pdf/system_monitoring.html",
                    build=build, tables=tables, period_kinds=("month", "quarter", "half", "year")))
