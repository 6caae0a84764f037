"""Monthly fault summary (每月故障总结报告): the customer's monthly figures, field for field as the
service plan's sample report (1.2.3, item 6) lists them, plus SLA attainment per fault level,
breaches with their reasons, the 12-month trend, top CIs, CIs due for replacement and satisfaction.

Every figure is one SQL aggregate over the month's faults. Definitions (the PDF's footnotes and the
README repeat them):

- *fault*: an incident of the organisation reported in the month (reported_at in [first day 00:00,
  next month's first day 00:00) in settings.TIME_ZONE), not cancelled (a cancelled incident was
  logged in error or was a duplicate);
- *user reports* (用户申告): faults reported by the customer: channel phone, portal or email
  (monitoring, inspection and API faults are the desk's own findings);
- *major faults* (重大故障): fault level I or II (特别重大 / 重大 in the service plan's level table);
- the cause category an engineer records on resolution classifies each fault exactly once:
  *system-class* (系统类) = software, configuration/data or network/line; *device* (设备类) =
  hardware; *power-system* (电源系统) = power; *safety incident* (安全事故) = security; *other* =
  environment, operating error, third party, unknown; *not yet classified* = still unresolved;
- *main device faults* (主要故障): device faults of level I or II, listed with their causes;
- *fault duration*: reported_at → restored_at (service restored; resolved_at if no restoration was
  recorded), in minutes; total = the sum over restored faults, rounded down; average = total
  minutes as printed / restored faults, to 0.1 minute (so average × count = total);
- an SLA target (response, on site, restore) is *met* when its clock's met_at ≤ due_at, *missed*
  when it was met late, is still unmet after its due time (as of generation), or was marked
  breached; *attainment* = met / (met + missed); clocks neither met nor due yet are left out. A
  later step meets the earlier targets (restoration meets on-site and response: a remote fix);
- *repair-on-time rate* (修复及时率) = the restore target's attainment over the month's faults;
- *CIs flagged for replacement*: CIs with 3 or more faults in the month (the service plan's rule);
- *satisfaction*: customer ratings (1–5 stars) given in the month, any ticket type.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import connection
from django.db.models import (
    Avg,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from incidents.choices import CauseCategory, FaultLevel, IncidentStatus
from incidents.models import Incident
from incidents.selectors import REPLACEMENT_THRESHOLD
from quality.models import SatisfactionRating
from reports import charts
from reports.periods import period_parse
from reports.registry import ReportInput, ReportKind, Table, register
from tickets.anchors import audit_anchors_of_period
from tickets.choices import Channel, ClockState, SLATargetName, TicketKind
from tickets.models import SLAClock

from ._assurance import hotline, hotline_table

CODE = "monthly_fault_summary"
TITLE = gettext_lazy("Monthly fault summary")

USER_CHANNELS = (Channel.PHONE, Channel.PORTAL, Channel.EMAIL)
MAJOR_LEVELS = (FaultLevel.I, FaultLevel.II)
SYSTEM_CAUSES = (CauseCategory.SOFTWARE, CauseCategory.CONFIGURATION, CauseCategory.NETWORK)
DEVICE_CAUSES = (CauseCategory.HARDWARE,)
POWER_CAUSES = (CauseCategory.POWER,)
SAFETY_CAUSES = (CauseCategory.SECURITY,)
OTHER_CAUSES = (CauseCategory.ENVIRONMENT, CauseCategory.OPERATION, CauseCategory.EXTERNAL, CauseCategory.UNKNOWN)
SLA_TARGETS = (SLATargetName.RESPOND, SLATargetName.ONSITE, SLATargetName.RESTORE)
TREND_MONTHS = 12
LIST_LIMIT = 50  # rows of the breach / main-fault lists in the PDF (the Excel sheets carry them all)


# --- definitions as SQL -----------------------------------------------------------------------------

def faults(inp: ReportInput) -> QuerySet[Incident]:
    """The month's faults: reported in [start, end), not cancelled, of the organisation (or all)."""
    qs = Incident.objects.filter(reported_at__gte=inp.start, reported_at__lt=inp.end)
    if inp.organization is not None:
        qs = qs.filter(organization_id=inp.organization.pk)
    return qs.exclude(status=IncidentStatus.CANCELLED)


def fault_end() -> Coalesce:
    return Coalesce(F("restored_at"), F("resolved_at"))


def duration_expression() -> ExpressionWrapper:
    return ExpressionWrapper(fault_end() - F("reported_at"), output_field=DurationField())


def clock_met(prefix: str = "") -> Q:
    return Q(**{f"{prefix}met_at__isnull": False, f"{prefix}met_at__lte": F(f"{prefix}due_at")})


def clock_missed(now: Any, prefix: str = "") -> Q:
    return (Q(**{f"{prefix}met_at__isnull": False, f"{prefix}met_at__gt": F(f"{prefix}due_at")})
            | Q(**{f"{prefix}met_at__isnull": True, f"{prefix}due_at__lt": now})
            | Q(**{f"{prefix}met_at__isnull": True, f"{prefix}state": ClockState.BREACHED}))


def _clocks(target: str) -> QuerySet[SLAClock]:
    return SLAClock.objects.filter(ticket_kind=TicketKind.INCIDENT, ticket_id=OuterRef("pk"), target=target)


def pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _minutes(seconds: float | None) -> int:
    return int(seconds // 60) if seconds else 0


def average_of_total(total: int, count: int) -> float | None:
    """The average the report prints next to a total: that total (as printed, whole minutes) over
    the count, to 0.1 — so average × count gives the printed total back (± 0.05 × count), never a
    figure computed from other rows or other rounding (issue #12: 3201 vs 533.7 × 6)."""
    return round(total / count, 1) if count else None


def _local(dt: Any) -> str:
    return formats.date_format(timezone.localtime(dt), "Y-m-d H:i") if dt else ""


def _short(text: str, limit: int = 120) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- build ---------------------------------------------------------------------------------------------

# PostgreSQL (and SQLite) cannot join a clock to its incident through the ORM (SLAClock keys on
# ticket_kind + ticket_id, not a foreign key), and correlated EXISTS per incident cost seconds at
# 20,000 incidents; so the month's figures are one GROUP BY over the incidents LEFT JOINed to their
# three clocks (unique per ticket and target: the join never duplicates an incident).
_MET = "{c}.met_at IS NOT NULL AND {c}.met_at <= {c}.due_at"
_MISSED = ("({c}.met_at IS NOT NULL AND {c}.met_at > {c}.due_at) OR ({c}.met_at IS NULL AND {c}.due_at < %(now)s)"
           " OR ({c}.met_at IS NULL AND {c}.state = 'breached')")
_CLOCK_JOINS = "".join(
    f" LEFT JOIN tickets_slaclock {alias} ON {alias}.ticket_kind = 'incident' AND {alias}.ticket_id = i.id"
    f" AND {alias}.target = '{target}'"
    for alias, target in (("cr", "respond"), ("co", "onsite"), ("cs", "restore")))


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"  # constants of this module, never user input


def _scope(inp: ReportInput, start: Any, end: Any) -> tuple[str, dict[str, Any]]:
    where = "i.reported_at >= %(start)s AND i.reported_at < %(end)s AND i.status <> 'cancelled'"
    params: dict[str, Any] = {"start": start, "end": end, "now": inp.now}
    if inp.organization is not None:
        where += " AND i.organization_id = %(org)s"
        params["org"] = inp.organization.pk
    return where, params


def _rows(query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    with connection.cursor() as cur:
        cur.execute(query, params)
        names = [c[0] for c in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


# The embedded SQLite default has no FILTER-with-EXTRACT / AT TIME ZONE dialect: there the same
# definitions run through the ORM with correlated EXISTS (slower, fine at embedded volumes).
# tests/reports/test_monthly_figures.py checks both paths give the same rows.

def _seconds(value: Any) -> float:
    return value.total_seconds() if value is not None else 0.0


def _month_facts_orm(inp: ReportInput) -> list[dict[str, Any]]:
    now = inp.now
    sla = {}
    for t in SLA_TARGETS:
        sla[f"{t}_met"] = Count("id", filter=Q(Exists(_clocks(t).filter(clock_met()))))
        sla[f"{t}_missed"] = Count("id", filter=Q(Exists(_clocks(t).filter(clock_missed(now)))))
    rows = (faults(inp).order_by().values("fault_level").annotate(
        total=Count("id"),
        user_reports=Count("id", filter=Q(channel__in=USER_CHANNELS)),
        system=Count("id", filter=Q(cause_category__in=SYSTEM_CAUSES)),
        device=Count("id", filter=Q(cause_category__in=DEVICE_CAUSES)),
        power=Count("id", filter=Q(cause_category__in=POWER_CAUSES)),
        safety=Count("id", filter=Q(cause_category__in=SAFETY_CAUSES)),
        other=Count("id", filter=Q(cause_category__in=OTHER_CAUSES)),
        unclassified=Count("id", filter=Q(cause_category="")),
        restored=Count("id", filter=Q(restored_at__isnull=False) | Q(resolved_at__isnull=False)),
        duration=Sum(duration_expression()), **sla))
    return [{**{k: v for k, v in r.items() if k not in ("fault_level", "duration")}, "level": r["fault_level"],
             "seconds": _seconds(r["duration"])} for r in rows]


def _trend_rows_orm(inp: ReportInput, start: Any) -> list[dict[str, Any]]:
    now = inp.now
    tz = timezone.get_default_timezone()
    qs = Incident.objects.filter(reported_at__gte=start, reported_at__lt=inp.end).exclude(
        status=IncidentStatus.CANCELLED)
    if inp.organization is not None:
        qs = qs.filter(organization_id=inp.organization.pk)
    rows = (qs.annotate(m=TruncMonth("reported_at", tzinfo=tz)).values("m", "fault_level")
            .annotate(n=Count("id"),
                      met=Count("id", filter=Q(Exists(_clocks(SLATargetName.RESTORE).filter(clock_met())))),
                      missed=Count("id", filter=Q(Exists(_clocks(SLATargetName.RESTORE).filter(clock_missed(now))))),
                      duration=Sum(duration_expression()),
                      restored=Count("id", filter=Q(restored_at__isnull=False) | Q(resolved_at__isnull=False)))
            .order_by())
    return [{"month": timezone.localtime(r["m"], tz).strftime("%Y-%m"), "level": r["fault_level"], "n": r["n"],
             "met": r["met"], "missed": r["missed"], "restored": r["restored"], "seconds": _seconds(r["duration"])}
            for r in rows]


def _breach_rows_orm(inp: ReportInput) -> list[dict[str, Any]]:
    missed = (SLAClock.objects.filter(ticket_kind=TicketKind.INCIDENT, ticket_id__in=faults(inp).values("pk"),
                                      target__in=SLA_TARGETS).filter(clock_missed(inp.now)))
    clocks = list(missed.order_by("due_at", "id").values("ticket_id", "target", "due_at", "met_at")[:1000])
    incidents = {i["pk"]: i for i in Incident.objects.filter(pk__in={c["ticket_id"] for c in clocks}).values(
        "pk", "number", "title", "fault_level", "cause_category", "resolution", "workaround", "ci__name")}
    return [{"target": c["target"], "due_at": c["due_at"], "met_at": c["met_at"],
             **{k: v for k, v in incidents[c["ticket_id"]].items() if k not in ("pk", "ci__name")},
             "ci_name": incidents[c["ticket_id"]]["ci__name"]} for c in clocks if c["ticket_id"] in incidents]


def month_facts(inp: ReportInput) -> list[dict[str, Any]]:
    """Per fault level: the counts behind every headline figure and the SLA met/missed per target."""
    if connection.vendor != "postgresql":
        return _month_facts_orm(inp)
    where, params = _scope(inp, inp.start, inp.end)
    sla = ", ".join(
        f"count(*) FILTER (WHERE {_MET.format(c=alias)}) AS {target}_met, "
        f"count(*) FILTER (WHERE {_MISSED.format(c=alias)}) AS {target}_missed"
        for alias, target in (("cr", "respond"), ("co", "onsite"), ("cs", "restore")))
    end = "COALESCE(i.restored_at, i.resolved_at)"
    query = f"""
        SELECT i.fault_level AS level, count(*) AS total,
          count(*) FILTER (WHERE i.channel IN {_in(USER_CHANNELS)}) AS user_reports,
          count(*) FILTER (WHERE i.cause_category IN {_in(SYSTEM_CAUSES)}) AS system,
          count(*) FILTER (WHERE i.cause_category IN {_in(DEVICE_CAUSES)}) AS device,
          count(*) FILTER (WHERE i.cause_category IN {_in(POWER_CAUSES)}) AS power,
          count(*) FILTER (WHERE i.cause_category IN {_in(SAFETY_CAUSES)}) AS safety,
          count(*) FILTER (WHERE i.cause_category IN {_in(OTHER_CAUSES)}) AS other,
          count(*) FILTER (WHERE i.cause_category = '') AS unclassified,
          count(*) FILTER (WHERE {end} IS NOT NULL) AS restored,
          COALESCE(sum(EXTRACT(EPOCH FROM ({end} - i.reported_at))), 0) AS seconds,
          {sla}
        FROM incidents_incident i {_CLOCK_JOINS}
        WHERE {where}
        GROUP BY i.fault_level"""
    return _rows(query, params)


def build(inp: ReportInput) -> dict[str, Any]:
    qs = faults(inp)
    now = inp.now
    facts = month_facts(inp)

    def total(key: str, levels: tuple[str, ...] | None = None) -> int:
        return int(sum(r[key] for r in facts if levels is None or r["level"] in levels))

    total_seconds = float(sum(r["seconds"] for r in facts))
    restored = total("restored")
    restore_met, restore_missed = total("restore_met"), total("restore_missed")
    device_cis = qs.filter(cause_category__in=DEVICE_CAUSES, ci__isnull=False).values("ci").distinct().count()
    figures = {
        "faults": total("total"),
        "user_reports": total("user_reports"),
        "major_faults": total("total", MAJOR_LEVELS),
        "system_faults": total("system"),
        "device_faults": total("device"),
        "device_cis": device_cis,
        "device_main_faults": total("device", MAJOR_LEVELS),
        "power_faults": total("power"),
        "safety_incidents": total("safety"),
        "other_faults": total("other"),
        "unclassified": total("unclassified"),
        "restored": restored,
        "not_restored": total("total") - restored,
        "duration_total_minutes": _minutes(total_seconds),
        "duration_avg_minutes": average_of_total(_minutes(total_seconds), restored),
        "repair_on_time": restore_met,
        "repair_late": restore_missed,
        "repair_on_time_pct": pct(restore_met, restore_met + restore_missed),
    }
    level_labels = dict(FaultLevel.choices)
    level_counts = {r["level"]: int(r["total"]) for r in facts}
    by_level = [{"level": lv.value, "label": str(level_labels[lv.value]), "count": level_counts.get(lv.value, 0)}
                for lv in FaultLevel]
    cause_labels = dict(CauseCategory.choices)
    by_cause = [
        {"value": r["cause_category"], "label": str(cause_labels.get(r["cause_category"], _("Not yet classified"))),
         "class": _cause_class(r["cause_category"]), "count": r["n"]}
        for r in qs.order_by().values("cause_category").annotate(n=Count("id")).order_by("-n", "cause_category")
    ]
    ctx: dict[str, Any] = {
        "organization_name": inp.organization.name if inp.organization is not None else None,
        "organization_code": inp.organization.code if inp.organization is not None else None,
        "report_title": str(TITLE),
        "period_label": inp.period_label,
        "generated_at": now,
        "period_start": inp.start,
        "period_end": inp.end,
        "summary": _short(str(inp.options.get("summary") or ""), 4000),
        "notes": _short(str(inp.options.get("notes") or ""), 4000),
        "figures": figures,
        "by_level": by_level,
        "by_cause": by_cause,
    }
    ctx.update(_device_section(qs))
    ctx["long_faults"] = _long_faults(qs)
    ctx["sla"] = _sla_by_level(facts)
    ctx.update(_breaches(inp, facts))
    ctx["trend"] = _trend(inp)
    ctx.update(_cis(qs))
    ctx["satisfaction"] = _satisfaction(inp)
    ctx["hotline"] = hotline(inp)
    ctx["charts"] = _charts(ctx)
    ctx["audit_anchors"] = _audit_anchors(inp)
    return ctx


def _audit_anchors(inp: ReportInput) -> list[dict[str, Any]]:
    """The organisation's daily history fingerprints of the month (tickets/anchors.py): printed so
    the customer holds them; a history rewritten later no longer recomputes to them."""
    if inp.organization is None or inp.start is None or inp.end is None:
        return []
    first = timezone.localdate(inp.start)
    last = timezone.localdate(inp.end - timedelta(microseconds=1))
    return [{"day": a.day.isoformat(), "digest": a.digest, "tickets": a.tickets}
            for a in audit_anchors_of_period(organization_id=inp.organization.pk, first=first, last=last)]


def _cause_class(value: str) -> str:
    if value in SYSTEM_CAUSES:
        return str(_("System-class"))
    if value in DEVICE_CAUSES:
        return str(_("Device"))
    if value in POWER_CAUSES:
        return str(_("Power system"))
    if value in SAFETY_CAUSES:
        return str(_("Safety"))
    if not value:
        return str(_("Not yet classified"))
    return str(_("Other"))


def _device_section(qs: QuerySet[Incident]) -> dict[str, Any]:
    device = qs.filter(cause_category__in=DEVICE_CAUSES)
    by_class = list(device.order_by().values(class_name=F("ci__ci_class__name")).annotate(n=Count("id"))
                    .order_by("-n", "class_name"))
    main = list(device.filter(fault_level__in=MAJOR_LEVELS)
                .annotate(fault_duration=duration_expression())
                .values("number", "title", "fault_level", "ci__name", "resolution", "workaround", "reported_at",
                        "fault_duration")
                .order_by("reported_at", "id"))
    rows = [{"number": r["number"], "title": r["title"], "level": r["fault_level"], "ci": r["ci__name"] or "",
             "reported": _local(r["reported_at"]),
             "minutes": _minutes(r["fault_duration"].total_seconds()) if r["fault_duration"] is not None else None,
             "cause": _short(r["resolution"] or r["workaround"])} for r in main]
    return {"device_by_class": [{"label": r["class_name"] or _("No CI recorded"), "count": r["n"]} for r in by_class],
            "main_device_faults": rows}


def _long_faults(qs: QuerySet[Incident], limit: int = 5) -> list[dict[str, Any]]:
    """The longest faults of the month and what caused them (造成时间较长主要原因)."""
    labels = dict(CauseCategory.choices)
    rows = (qs.annotate(fault_duration=duration_expression()).filter(fault_duration__isnull=False)
            .order_by("-fault_duration", "id")
            .values("number", "title", "fault_level", "ci__name", "cause_category", "resolution", "workaround",
                    "fault_duration")[:limit])
    return [{"number": r["number"], "title": r["title"], "level": r["fault_level"], "ci": r["ci__name"] or "",
             "minutes": _minutes(r["fault_duration"].total_seconds()),
             "cause": str(labels.get(r["cause_category"], _("Not yet classified"))),
             "explanation": _short(r["resolution"] or r["workaround"])} for r in rows]


def _sla_by_level(facts: list[dict[str, Any]]) -> dict[str, Any]:
    """Met / missed per fault level and target (from month_facts' GROUP BY)."""
    cells = {(r["level"], t): (int(r[f"{t}_met"]), int(r[f"{t}_missed"])) for r in facts for t in SLA_TARGETS}
    target_labels = dict(SLATargetName.choices)
    rows = []
    totals = {t: [0, 0] for t in SLA_TARGETS}
    for lv in FaultLevel:
        cells_of_level: list[dict[str, Any]] = []
        for t in SLA_TARGETS:
            met, missed = cells.get((lv.value, t), (0, 0))
            totals[t][0] += met
            totals[t][1] += missed
            cells_of_level.append({"target": t.value, "met": met, "missed": missed, "pct": pct(met, met + missed)})
        rows.append({"level": lv.value, "label": str(dict(FaultLevel.choices)[lv.value]), "targets": cells_of_level})
    overall = [{"target": t.value, "label": str(target_labels[t]), "met": m, "missed": x, "pct": pct(m, m + x)}
               for t, (m, x) in totals.items()]
    return {"targets": [{"target": t.value, "label": str(target_labels[t])} for t in SLA_TARGETS],
            "rows": rows, "overall": overall}


def _breaches(inp: ReportInput, facts: list[dict[str, Any]]) -> dict[str, Any]:
    """Missed targets (the first 1000 by due time) with their incident and the reason recorded on it
    (cause category and what was done)."""
    breach_rows = _breach_rows_orm(inp) if connection.vendor != "postgresql" else None
    where, params = _scope(inp, inp.start, inp.end)
    missed = _MISSED.format(c="c")
    query = f"""
        SELECT c.target, c.due_at, c.met_at, i.number, i.title, i.fault_level, i.cause_category, i.resolution,
               i.workaround, ci.name AS ci_name
        FROM tickets_slaclock c
        JOIN incidents_incident i ON c.ticket_kind = 'incident' AND c.ticket_id = i.id
        LEFT JOIN cmdb_ci ci ON ci.id = i.ci_id
        WHERE c.target IN {_in(tuple(t.value for t in SLA_TARGETS))} AND ({missed}) AND {where}
        ORDER BY c.due_at, c.id
        LIMIT 1000"""
    now = inp.now
    target_labels = dict(SLATargetName.choices)
    cause_labels = dict(CauseCategory.choices)
    rows = []
    for r in breach_rows if breach_rows is not None else _rows(query, params):
        late_by = ((r["met_at"] or now) - r["due_at"]).total_seconds()
        if r["cause_category"]:
            reason = f"{cause_labels.get(r['cause_category'], '')}: {_short(r['resolution'] or r['workaround'], 90)}"
        else:
            reason = _("Still being handled") if not r["met_at"] else _short(r["workaround"], 90)
        rows.append({"number": r["number"], "title": r["title"], "level": r["fault_level"],
                     "ci": r["ci_name"] or "", "target": str(target_labels[r["target"]]),
                     "due": _local(r["due_at"]), "met": _local(r["met_at"]) or _("not met"),
                     "late_minutes": _minutes(late_by), "reason": reason.strip(": ")})
    rows.sort(key=lambda r: (r["level"], r["due"]))
    count = int(sum(r[f"{t}_missed"] for r in facts for t in SLA_TARGETS))
    return {"breach_count": count, "breaches": rows}


def _trend(inp: ReportInput) -> list[dict[str, Any]]:
    """The last 12 months (this one last): faults per level, the repair-on-time rate and the average
    duration, one GROUP BY month and level over the incidents joined to their restore clocks."""
    assert inp.start is not None and inp.end is not None  # a period kind: the registry gives both
    tz = timezone.get_default_timezone()
    period = period_parse(inp.start.astimezone(tz).strftime("%Y-%m"))
    months = [period.previous(i) for i in range(TREND_MONTHS - 1, 0, -1)] + [period]
    where, params = _scope(inp, months[0].start, inp.end)
    params["tz"] = str(tz)
    end = "COALESCE(i.restored_at, i.resolved_at)"
    query = f"""
        SELECT to_char(i.reported_at AT TIME ZONE %(tz)s, 'YYYY-MM') AS month, i.fault_level AS level,
               count(*) AS n,
               count(*) FILTER (WHERE {_MET.format(c="cs")}) AS met,
               count(*) FILTER (WHERE {_MISSED.format(c="cs")}) AS missed,
               count(*) FILTER (WHERE {end} IS NOT NULL) AS restored,
               COALESCE(sum(EXTRACT(EPOCH FROM ({end} - i.reported_at))), 0) AS seconds
        FROM incidents_incident i
        LEFT JOIN tickets_slaclock cs ON cs.ticket_kind = 'incident' AND cs.ticket_id = i.id AND cs.target = 'restore'
        WHERE {where}
        GROUP BY 1, 2"""
    table: dict[str, dict[str, Any]] = {
        m.text: {"month": m.text, "label": formats.date_format(m.first_day, "YEAR_MONTH_FORMAT"),
                 "levels": {lv.value: 0 for lv in FaultLevel}, "total": 0, "met": 0, "missed": 0, "seconds": 0.0,
                 "restored": 0} for m in months}
    rows = _trend_rows_orm(inp, months[0].start) if connection.vendor != "postgresql" else _rows(query, params)
    for r in rows:
        cell = table.get(r["month"])
        if cell is None:
            continue
        cell["levels"][r["level"]] = int(r["n"])
        cell["total"] += int(r["n"])
        cell["met"] += int(r["met"])
        cell["missed"] += int(r["missed"])
        cell["restored"] += int(r["restored"])
        cell["seconds"] += float(r["seconds"])
    out = []
    for m in months:
        cell = table[m.text]
        cell["on_time_pct"] = pct(cell["met"], cell["met"] + cell["missed"])
        cell["total_minutes"] = _minutes(cell["seconds"])
        cell["avg_minutes"] = average_of_total(cell["total_minutes"], cell["restored"])
        cell["level_list"] = [cell["levels"][lv.value] for lv in FaultLevel]
        out.append(cell)
    return out


def _cis(qs: QuerySet[Incident]) -> dict[str, Any]:
    per_ci = (qs.filter(ci__isnull=False).order_by().values("ci_id")
              .annotate(n=Count("id"), name=F("ci__name"), class_name=F("ci__ci_class__name"),
                        location=F("ci__location"))
              .order_by("-n", "name", "ci_id"))
    top = [{"name": r["name"], "class": r["class_name"], "location": r["location"], "count": r["n"]}
           for r in per_ci[:10]]
    flagged = [{"name": r["name"], "class": r["class_name"], "location": r["location"], "count": r["n"]}
               for r in per_ci.filter(n__gte=REPLACEMENT_THRESHOLD)[:200]]
    return {"top_cis": top, "replacements": flagged, "replacement_threshold": REPLACEMENT_THRESHOLD}


def _satisfaction(inp: ReportInput) -> dict[str, Any]:
    qs = SatisfactionRating.objects.filter(created_at__gte=inp.start, created_at__lt=inp.end)
    if inp.organization is not None:
        qs = qs.filter(organization_id=inp.organization.pk)
    agg = qs.aggregate(count=Count("id"), average=Avg("stars"), unhappy=Count("id", filter=Q(stars__lte=2)),
                       **{f"s{n}": Count("id", filter=Q(stars=n)) for n in range(1, 6)})
    return {"count": agg["count"], "average": round(agg["average"], 2) if agg["average"] is not None else None,
            "unhappy": agg["unhappy"], "stars": [{"stars": n, "count": agg[f"s{n}"]} for n in range(5, 0, -1)],
            "satisfied_pct": pct(agg["s4"] + agg["s5"], agg["count"])}


def _charts(ctx: dict[str, Any]) -> dict[str, Any]:
    trend = ctx["trend"]
    labels = [t["month"][2:] for t in trend]  # "26-10": short enough for 12 columns
    level_names = [f"{lv.value}" for lv in FaultLevel]
    return {
        "by_level": charts.pie_chart(slices=[(r["label"], r["count"]) for r in ctx["by_level"]], width=380),
        "by_cause": charts.pie_chart(slices=[(r["label"], r["count"]) for r in ctx["by_cause"]], width=380,
                                     donut=False),
        "trend": charts.stacked_bar_chart(
            labels=labels, series=[(_("Level %(level)s") % {"level": name}, [t["level_list"][i] for t in trend])
                                   for i, name in enumerate(level_names)], width=520, height=240),
        "on_time": charts.line_chart(
            labels=labels, series=[(_("Repair on time %"), [t["on_time_pct"] for t in trend])], max_value=100,
            width=520, height=200, show_values=True),
        "sla": charts.bar_chart(labels=[o["label"] for o in ctx["sla"]["overall"]],
                                values=[o["pct"] or 0 for o in ctx["sla"]["overall"]], width=360, height=200),
        "top_cis": charts.hbar_chart(labels=[c["name"] for c in ctx["top_cis"]],
                                     values=[c["count"] for c in ctx["top_cis"]]) if ctx["top_cis"] else "",
    }


# --- Excel ---------------------------------------------------------------------------------------------

def figure_rows(ctx: dict[str, Any]) -> list[tuple[str, Any, str]]:
    """(label, value, unit) of the headline figures, in the order of the service plan's sample."""
    f = ctx["figures"]
    return [
        (_("User reports"), f["user_reports"], _("times")),
        (_("Faults (all)"), f["faults"], _("times")),
        (_("Major faults (level I–II)"), f["major_faults"], _("times")),
        (_("System-class faults"), f["system_faults"], _("times")),
        (_("Device faults"), f["device_faults"], _("times")),
        (_("Devices with faults"), f["device_cis"], _("devices")),
        (_("Main device faults (level I–II)"), f["device_main_faults"], _("times")),
        (_("Total fault duration"), f["duration_total_minutes"], _("minutes")),
        (_("Average fault duration"), f["duration_avg_minutes"], _("minutes")),
        (_("Repair-on-time rate"), f["repair_on_time_pct"], "%"),
        (_("Safety incidents"), f["safety_incidents"], _("times")),
        (_("Power-system faults"), f["power_faults"], _("times")),
    ]


def tables(ctx: dict[str, Any]) -> list[Table]:
    sla = ctx["sla"]
    sla_rows = []
    for row in sla["rows"]:
        for t, cell in zip(sla["targets"], row["targets"], strict=True):
            sla_rows.append([row["label"], t["label"], cell["met"], cell["missed"], cell["pct"]])
    return [
        Table(_("Key figures"), [_("Figure"), _("Value"), _("Unit")], figure_rows(ctx)),
        Table(_("Faults by level"), [_("Fault level"), _("Faults")], [[r["label"], r["count"]] for r in ctx["by_level"]]),
        Table(_("Faults by cause"), [_("Cause"), _("Class"), _("Faults")],
              [[r["label"], r["class"], r["count"]] for r in ctx["by_cause"]]),
        Table(_("SLA attainment"), [_("Fault level"), _("Target"), _("Met"), _("Missed"), _("Attainment %")], sla_rows),
        Table(_("Breaches"), [_("Number"), _("Title"), _("Level"), _("CI"), _("Target"), _("Due"), _("Met at"),
                              _("Late (min)"), _("Reason")],
              [[b["number"], b["title"], b["level"], b["ci"], b["target"], b["due"], b["met"], b["late_minutes"],
                b["reason"]] for b in ctx["breaches"]]),
        Table(_("Trend"), [_("Month"), "I", "II", "III", "IV", _("Faults"), _("Repair on time %"),
                           _("Average duration (min)")],
              [[t["month"], *t["level_list"], t["total"], t["on_time_pct"], t["avg_minutes"]] for t in ctx["trend"]]),
        Table(_("Main device faults"), [_("Number"), _("Title"), _("Level"), _("CI"), _("Reported"), _("Minutes"),
                                        _("Cause")],
              [[r["number"], r["title"], r["level"], r["ci"], r["reported"], r["minutes"], r["cause"]]
               for r in ctx["main_device_faults"]]),
        Table(_("Longest faults"), [_("Number"), _("Title"), _("Level"), _("CI"), _("Minutes"), _("Cause"),
                                    _("Explanation")],
              [[r["number"], r["title"], r["level"], r["ci"], r["minutes"], r["cause"], r["explanation"]]
               for r in ctx["long_faults"]]),
        Table(_("Top CIs"), [_("CI"), _("Class"), _("Location"), _("Faults")],
              [[c["name"], c["class"], c["location"], c["count"]] for c in ctx["top_cis"]]),
        Table(_("Replacement"), [_("CI"), _("Class"), _("Location"), _("Faults")],
              [[c["name"], c["class"], c["location"], c["count"]] for c in ctx["replacements"]]),
        Table(_("Satisfaction"), [_("Stars"), _("Ratings")],
              [[s["stars"], s["count"]] for s in ctx["satisfaction"]["stars"]]
              + [[_("Average"), ctx["satisfaction"]["average"]], [_("Ratings"), ctx["satisfaction"]["count"]]]),
        hotline_table(ctx["hotline"]),
        Table(_("History fingerprints"), [_("Day"), _("Fingerprint (SHA-256)"), _("Tickets covered")],
              [[a["day"], a["digest"], a["tickets"]] for a in ctx.get("audit_anchors", [])]),
    ]


register(ReportKind(code=CODE, title=TITLE, scope="period", template="reports/pdf/monthly_fault_summary.html",
                    build=build, tables=tables, period_kinds=("month",)))
