"""Assurance figures the period reports print: availability per business service (quarterly report)
and the hotline's connect rate (monthly summary). The definitions live in quality/figures.py; this
module shapes them into rows whose totals are the sums of the printed rows."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Count, Sum
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from quality.figures import availability_by_month, connect_rate_by_month, month_back
from reports.registry import ReportInput, Table


def pct_text(value: Decimal) -> str:
    """A target as people write it: 99.5, 99.95, 90 (not 99.500 or 90.00)."""
    text = format(value.normalize(), "f")
    return text


SOURCE_LABELS = {"phone_system": _("phone system"), "hotline_log": _("hotline log"), "mixed": _("phone system and hotline log"),
                 "": "—"}


def availability(inp: ReportInput) -> dict[str, Any]:
    """Per business service: one row per month of the period and a period row whose minutes and
    incidents are the sums of the month rows (achieved % from those sums), plus the monitoring
    alerts received on the service's CIs (the only monitoring data OpsDesk holds)."""
    from monitoring.models import AlertRecord

    if inp.start is None or inp.end is None:
        return {"services": [], "has_monitoring": False}
    org_id = inp.organization.pk if inp.organization is not None else None
    out = []
    any_alerts = False
    for entry in availability_by_month(organization_id=org_id, start=inp.start, end=inp.end, now=inp.now):
        service = entry["service"]
        months = []
        for m in entry["months"]:
            r = m["row"]
            months.append({"label": m["label"], "window": r.window_minutes, "down": r.down_minutes,
                           "incidents": r.incidents, "achieved": r.achieved_pct, "met": r.met})
        if not months:
            continue
        row0 = entry["months"][0]["row"]
        window = sum(m["window"] for m in months)
        down = sum(m["down"] for m in months)
        achieved = round(100 * (window - down) / window, 3) if window else None
        ci_ids = sorted({i for m in entry["months"] for i in m["row"].ci_ids})
        alerts = AlertRecord.objects.filter(ci_id__in=ci_ids, first_seen__gte=inp.start, first_seen__lt=inp.end)
        agg = alerts.aggregate(n=Count("id"), received=Sum("count"))
        any_alerts = any_alerts or bool(agg["n"])
        out.append({
            "name": service.name, "target": pct_text(row0.target_pct), "target_set": row0.target_set, "ci_count": row0.ci_count,
            "months": months,
            "total": {"window": window, "down": down, "incidents": sum(m["incidents"] for m in months),
                      "achieved": achieved, "met": None if achieved is None else achieved >= float(row0.target_pct)},
            "alerts": agg["n"], "alerts_received": agg["received"] or 0,
        })
    return {"services": out, "has_monitoring": any_alerts}


def availability_table(av: dict[str, Any]) -> Table:
    rows = []
    for s in av["services"]:
        for m in [*s["months"], {**s["total"], "label": _("Period")}]:
            rows.append([s["name"], m["label"], float(s["target"]), m["achieved"], m["down"], m["window"],
                         m["incidents"], _("yes") if m["met"] else _("no")])
    return Table(title=_("Availability per service"), headers=[
        pgettext_lazy("business service", "Service"), _("Month"), _("Target %"), _("Achieved %"), _("Minutes down"), _("Minutes in the period"),
        _("Incidents"), _("Target met")], rows=rows)


def hotline(inp: ReportInput, *, months_back: int = 5) -> dict[str, Any]:
    """The connect rate of the period's month(s) and the months before (a short trend); the period's
    months are marked. Rates are answered / offered of the printed counts."""
    if inp.start is None or inp.end is None:
        return {"rows": [], "current": None}
    org_id = inp.organization.pk if inp.organization is not None else None
    rows = connect_rate_by_month(organization_id=org_id, start=month_back(inp.start, months_back), end=inp.end)
    from django.utils import timezone

    first = timezone.localtime(inp.start).strftime("%Y-%m")
    for r in rows:
        r["in_period"] = r["label"] >= first
        r["source_label"] = SOURCE_LABELS.get(r["source"], r["source"])
        r["target"] = pct_text(r["target"])
    period = [r for r in rows if r["in_period"]]
    offered = sum(r["offered"] for r in period)
    answered = sum(r["answered"] for r in period)
    rate = round(100 * answered / offered, 1) if offered else None
    target = rows[0]["target"] if rows else None
    return {"rows": rows, "current": {"offered": offered, "answered": answered, "missed": offered - answered,
                                      "rate": rate, "target": target,
                                      "below": rate is not None and target is not None and rate < float(target)},
            "below_months": [r["label"] for r in rows if r["below"]]}


def hotline_table(h: dict[str, Any]) -> Table:
    return Table(title=_("Hotline connect rate"), headers=[
        _("Month"), _("Calls offered"), _("Answered"), _("Not answered"), _("Connect rate %"), _("Target %"),
        _("Below target"), _("Source")], rows=[
        [r["label"], r["offered"], r["answered"], r["missed"], r["rate"], float(r["target"]),
         _("yes") if r["below"] else _("no"), r["source_label"]] for r in h["rows"]])
