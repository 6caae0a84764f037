"""Pieces the report kinds of reports/kinds/ share: the organisation scope, the report header context,
SLA attainment from the stored clocks and fault durations — each one SQL aggregate, so a figure means
the same thing in every report that shows it.

Definitions used by every kind here (the README repeats them):
- an incident *counts* in a period when it was reported in it (reported_at in [start, end)) and is
  not cancelled (a cancelled incident was logged in error or was a duplicate);
- *fault duration* is reported_at → restored_at (or resolved_at when no restoration was recorded),
  in whole minutes, over counted incidents that have one;
- an SLA target is *met* when its clock's met_at ≤ due_at, *missed* when met late or still unmet
  after its due time; attainment = met / (met + missed), clocks neither met nor due are left out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import (
    Avg,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from incidents.choices import FaultLevel, IncidentStatus
from incidents.models import Incident
from inspections.selectors import inspection_report
from reports.registry import ReportInput, Table
from tickets.choices import ClockState, SLATargetName, TicketKind
from tickets.models import SLAClock

SLA_TARGETS = (SLATargetName.RESPOND, SLATargetName.ONSITE, SLATargetName.RESTORE)
# Row lists: the PDF shows the first PDF_ROWS of each (the templates slice; WeasyPrint spends ~25 ms a
# table row), the Excel sheets get up to EXPORT_ROWS. Figures always count everything, in SQL.
PDF_ROWS = 50
EXPORT_ROWS = 1000


def label_of(obj: Any, field: str) -> Any:
    """The display label of a choices field, lazily translated (a report is built once and may be
    rendered in another language than the one active while building)."""
    value = getattr(obj, field)
    return dict(obj._meta.get_field(field).flatchoices).get(value, value)


def org_filter(qs: QuerySet[Any], inp: ReportInput, field: str = "organization") -> QuerySet[Any]:
    """`qs` limited to the report's organisation (all organisations when it is None)."""
    if inp.organization is None:
        return qs
    return qs.filter(**{f"{field}_id": inp.organization.pk})


def period_filter(qs: QuerySet[Any], inp: ReportInput, field: str) -> QuerySet[Any]:
    if inp.start is not None:
        qs = qs.filter(**{f"{field}__gte": inp.start})
    if inp.end is not None:
        qs = qs.filter(**{f"{field}__lt": inp.end})
    return qs


def counted_incidents(inp: ReportInput) -> QuerySet[Incident]:
    """Incidents of the scope reported in the period, cancelled ones left out."""
    qs = org_filter(Incident.objects.all(), inp)
    return period_filter(qs, inp, "reported_at").exclude(status=IncidentStatus.CANCELLED)


def header(inp: ReportInput, title: Any) -> dict[str, Any]:
    """The context every PDF template's base reads (organisation, title, period) plus generation time."""
    return {
        "organization_name": inp.organization.name if inp.organization is not None else None,
        "organization_code": inp.organization.code if inp.organization is not None else None,
        "report_title": title,
        "period_label": inp.period_label,
        "generated_at": inp.now,
    }


def duration_expression() -> ExpressionWrapper:
    end = Coalesce(F("restored_at"), F("resolved_at"))
    return ExpressionWrapper(end - F("reported_at"), output_field=DurationField())


def fault_durations(qs: QuerySet[Incident]) -> dict[str, Any]:
    """Total and average fault duration in minutes of `qs` (incidents with an end time only), from
    the same rows: the average is the printed total over the count, so they always agree."""
    agg = (qs.annotate(fault_duration=duration_expression())
           .filter(fault_duration__isnull=False)
           .aggregate(total=Sum("fault_duration"), n=Count("id")))
    total = agg["total"]
    total_minutes = int(total.total_seconds() // 60) if total is not None else 0
    return {
        "with_duration": agg["n"],
        "total_minutes": total_minutes,
        "avg_minutes": round(total_minutes / agg["n"], 1) if agg["n"] else 0.0,
    }


def by_level(qs: QuerySet[Incident]) -> list[dict[str, Any]]:
    """Counts per fault level, every level listed (zero included), I first."""
    counts = dict(qs.order_by().values_list("fault_level").annotate(n=Count("id")).values_list("fault_level", "n"))
    return [{"level": lv.value, "label": lv.label, "count": counts.get(lv.value, 0)} for lv in FaultLevel]


def by_choice(qs: QuerySet[Any], field: str, choices: Any) -> list[dict[str, Any]]:
    """Counts per value of a choices field, most first, zeros left out; an empty value is 'not given'."""
    rows = qs.order_by().values(field).annotate(n=Count("id")).order_by("-n", field)
    labels = dict(choices.choices)
    return [{"value": r[field], "label": labels.get(r[field], _("not given")), "count": r["n"]} for r in rows]


def sla_attainment(incidents: QuerySet[Incident], now: datetime) -> list[dict[str, Any]]:
    """Per target (response, on site, restore): met, missed and attainment % over the clocks of
    `incidents`, in one aggregate query."""
    clocks = SLAClock.objects.filter(ticket_kind=TicketKind.INCIDENT, ticket_id__in=incidents.values("pk"),
                                     target__in=SLA_TARGETS)
    met = Q(met_at__isnull=False, met_at__lte=F("due_at"))
    missed = Q(met_at__isnull=False, met_at__gt=F("due_at")) | Q(met_at__isnull=True, due_at__lt=now) \
        | Q(met_at__isnull=True, state=ClockState.BREACHED)
    agg = clocks.aggregate(**{
        f"{t}_{name}": Count("id", filter=Q(target=t) & cond)
        for t in SLA_TARGETS for name, cond in (("met", met), ("missed", missed))
    })
    rows = []
    for t in SLA_TARGETS:
        m, x = agg[f"{t}_met"], agg[f"{t}_missed"]
        rows.append({"target": t.value, "label": t.label, "met": m, "missed": x,
                     "pct": round(100 * m / (m + x), 1) if (m + x) else None})
    return rows


def local(dt: datetime | None) -> str:
    """A time as the reader's wall clock (settings.TIME_ZONE), formatted for the active language."""
    if dt is None:
        return ""
    return formats.date_format(timezone.localtime(dt), "Y-m-d H:i")


def minutes_between(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return int((end - start).total_seconds() // 60)


def pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def incident_facts(incident: Incident, now: datetime) -> dict[str, Any]:
    """What every per-incident report shows about its incident: parties, device, times, SLA per target."""
    from incidents.sla import incident_sla_view

    ci = incident.ci
    sla_rows = []
    for row in incident_sla_view(incident=incident, now=now):
        met_at, due_at = row["met_at"], row["due_at"]
        if met_at is not None:
            verdict = "met" if met_at <= due_at else "missed"
        elif row["breached_at"] is not None or due_at < now:
            verdict = "missed"
        else:
            verdict = "open"
        sla_rows.append({**row, "label": SLATargetName(row["target"]).label, "verdict": verdict,
                         "due_local": local(due_at), "met_local": local(met_at)})
    times = [
        (_("Reported"), incident.reported_at),
        (_("Responded"), incident.responded_at),
        (_("On site"), incident.onsite_at),
        (_("Service restored"), incident.restored_at),
        (_("Resolved"), incident.resolved_at),
        (_("Closed"), incident.closed_at),
    ]
    return {
        "incident": incident,
        "number": incident.number,
        "title": incident.title,
        "description": incident.description,
        "fault_level": incident.fault_level,
        "fault_level_label": label_of(incident, "fault_level"),
        "status_label": label_of(incident, "status"),
        "channel_label": label_of(incident, "channel"),
        "cause_category_label": label_of(incident, "cause_category") if incident.cause_category else "",
        "organization": incident.organization.name,
        "contact": incident.contact.name if incident.contact else "",
        "contact_phone": getattr(incident.contact, "phone", "") if incident.contact else "",
        "ci_name": ci.name if ci else "",
        "ci_class": ci.ci_class.name if ci else "",
        "ci_location": ci.location if ci else "",
        "ci_serial": ci.serial if ci else "",
        "ci_model": " ".join(x for x in (ci.vendor, ci.model) if x) if ci else "",
        "assignee": incident.assignee.display_name if incident.assignee else "",
        "group": incident.group.name if incident.group else "",
        "times": [{"label": label, "at": at, "local": local(at),
                   "minutes": minutes_between(incident.reported_at, at)} for label, at in times],
        "fault_minutes": minutes_between(incident.reported_at, incident.restored_at or incident.resolved_at),
        "sla": sla_rows,
        "workaround": incident.workaround,
        "resolution": incident.resolution,
        "escalation_level": incident.escalation_level,
        "reopen_count": incident.reopen_count,
    }


def incident_for_report(inp: ReportInput) -> Incident:
    """The incident of a per-incident report, with what the facts read in one query."""
    if inp.incident is None:
        raise ValueError("this report kind needs an incident")
    pk = inp.incident.pk if hasattr(inp.incident, "pk") else int(inp.incident)
    return (Incident.objects.select_related("organization", "contact", "ci", "ci__ci_class", "assignee", "group")
            .get(pk=pk))


def month_trend(inp: ReportInput, *, min_months: int = 6) -> list[dict[str, Any]]:
    """Counted incidents per calendar month (configured zone), every month listed: the months of the
    period, reaching back to show at least `min_months` months so a short period still has a trend."""
    from datetime import date

    from django.db.models.functions import TruncMonth

    if inp.start is None or inp.end is None:
        return []
    zone = timezone.get_default_timezone()
    first = timezone.localtime(inp.start).date().replace(day=1)
    last = timezone.localtime(inp.end).date()  # exclusive: the first day after the period
    back = date(last.year, last.month, 1)
    for _step in range(min_months):
        back = date(back.year - (back.month == 1), (back.month - 2) % 12 + 1, 1)
    first = min(first, back)
    start = timezone.make_aware(datetime.combine(first, datetime.min.time()), zone)
    qs = org_filter(Incident.objects.filter(reported_at__gte=start, reported_at__lt=inp.end), inp).exclude(
        status=IncidentStatus.CANCELLED)
    counts = {row["month"].astimezone(zone).date().replace(day=1): row["n"] for row in
              qs.annotate(month=TruncMonth("reported_at", tzinfo=zone)).order_by().values("month")
              .annotate(n=Count("id")).values("month", "n")}
    rows = []
    month = first
    while month < last:
        rows.append({"month": month, "label": f"{month.year}-{month.month:02d}", "count": counts.get(month, 0),
                     "in_period": month >= timezone.localtime(inp.start).date().replace(day=1)})
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return rows


def top_cis(qs: QuerySet[Incident], limit: int = 10) -> list[dict[str, Any]]:
    return [dict(row) for row in qs.filter(ci__isnull=False).order_by().values("ci_id")
                .annotate(faults=Count("id"), name=F("ci__name"), location=F("ci__location"),
                          ci_class=F("ci__ci_class__name"))
                .order_by("-faults", "name", "ci_id")[:limit]]


def fault_overview(inp: ReportInput) -> dict[str, Any]:
    """The fault figures the management and summary reports share (counted incidents of the period)."""
    from incidents.choices import CauseCategory
    from tickets.choices import Channel

    faults = counted_incidents(inp)
    agg = faults.aggregate(
        total=Count("id"),
        major=Count("id", filter=Q(fault_level__in=(FaultLevel.I, FaultLevel.II))),
        restored=Count("id", filter=Q(restored_at__isnull=False) | Q(resolved_at__isnull=False)),
        resolved=Count("id", filter=Q(resolved_at__isnull=False)),
        open=Count("id", filter=Q(resolved_at__isnull=True)),
        reopened=Count("id", filter=Q(reopen_count__gt=0)),
    )
    by_class = list(faults.filter(ci__isnull=False).order_by().values("ci__ci_class__name")
                    .annotate(n=Count("id")).order_by("-n", "ci__ci_class__name"))
    return {
        "faults": agg,
        "levels": by_level(faults),
        "causes": by_choice(faults.exclude(cause_category=""), "cause_category", CauseCategory),
        "channels": by_choice(faults, "channel", Channel),
        "by_class": [{"label": r["ci__ci_class__name"], "count": r["n"]} for r in by_class],
        "no_device": faults.filter(ci__isnull=True).count(),
        "durations": fault_durations(faults),
        "sla": sla_attainment(faults, inp.now),
        "trend": month_trend(inp),
        "top_cis": top_cis(faults),
    }


def complaints(inp: ReportInput) -> dict[str, Any]:
    from tickets.choices import RequestStatus, RequestType
    from tickets.models import ServiceRequest

    qs = period_filter(org_filter(ServiceRequest.objects.filter(request_type=RequestType.COMPLAINT), inp),
                       inp, "reported_at").exclude(status=RequestStatus.CANCELLED)
    agg = qs.aggregate(total=Count("id"), closed=Count("id", filter=Q(
        status__in=(RequestStatus.RESOLVED, RequestStatus.CLOSED))))
    rows = [{"number": r.number, "at": local(r.reported_at), "title": r.title, "status": label_of(r, "status"),
             "resolution": r.resolution} for r in qs.order_by("reported_at", "id")[:EXPORT_ROWS]]
    return {**agg, "open": agg["total"] - agg["closed"], "rows": rows}


def satisfaction(inp: ReportInput) -> dict[str, Any]:
    from quality.models import SatisfactionRating

    qs = period_filter(org_filter(SatisfactionRating.objects.all(), inp), inp, "created_at")
    agg = qs.aggregate(n=Count("id"), avg=Avg("stars"), happy=Count("id", filter=Q(stars__gte=4)))
    return {"ratings": agg["n"], "avg": round(agg["avg"], 2) if agg["avg"] is not None else None,
            "satisfied_pct": pct(agg["happy"], agg["n"])}


def change_figures(inp: ReportInput) -> dict[str, Any] | None:
    """Changes requested and implemented in the period (None while the changes app has no model)."""
    from django.apps import apps
    from django.core.exceptions import FieldError

    try:
        change = apps.get_model("changes", "Change")
        qs = org_filter(change.objects.all(), inp)
        started = {"start": inp.start, "end": inp.end}

        def within(field: str) -> Q:
            return Q(**{f"{field}__gte": started["start"], f"{field}__lt": started["end"]})

        agg = qs.aggregate(
            requested=Count("id", filter=within("reported_at")),
            implemented=Count("id", filter=within("implemented_at")),
            emergency=Count("id", filter=within("implemented_at") & Q(type="emergency")),
            failed=Count("id", filter=within("failed_at")),
            backed_out=Count("id", filter=within("backed_out_at")),
        )
        rows = [{"number": c.number, "title": c.title, "type": label_of(c, "type"),
                 "implemented": local(c.implemented_at), "status": label_of(c, "status")}
                for c in qs.filter(within("implemented_at")).order_by("implemented_at", "id")[:EXPORT_ROWS]]
    except (LookupError, FieldError):
        return None
    return {**agg, "rows": rows}


def spare_figures(inp: ReportInput) -> dict[str, Any] | None:
    """Spare parts issued and written off in the period (None while the spares app has no ledger)."""
    from django.apps import apps
    from django.core.exceptions import FieldError

    try:
        movement = apps.get_model("spares", "Movement")
        qs = movement.objects.filter(status__in=("done", "approved"), applied_at__gte=inp.start,
                                     applied_at__lt=inp.end)
        if inp.organization is not None:
            org = inp.organization.pk
            qs = qs.filter(Q(incident__organization_id=org) | Q(change__organization_id=org)
                           | Q(from_storeroom__organization_id=org) | Q(to_storeroom__organization_id=org))
        agg = qs.aggregate(
            issued=Sum("quantity", filter=Q(kind="issue")), issues=Count("id", filter=Q(kind="issue")),
            returned=Sum("quantity", filter=Q(kind="return")),
            written_off=Sum("quantity", filter=Q(kind="write_off")),
        )
        parts = list(qs.filter(kind="issue").order_by().values("part__part_number", "part__name")
                     .annotate(quantity=Sum("quantity"), n=Count("id")).order_by("-quantity", "part__part_number")[:10])
    except (LookupError, FieldError):
        return None
    return {**{k: v or 0 for k, v in agg.items()},
            "parts": [{"part_number": p["part__part_number"], "name": p["part__name"], "quantity": p["quantity"],
                       "issues": p["n"]} for p in parts]}


def cmdb_figures(inp: ReportInput) -> dict[str, Any]:
    """The systems and devices under maintenance today, by class and status (the CMDB is current state)."""
    from cmdb.choices import CIStatus
    from cmdb.models import CI

    cis = org_filter(CI.objects.all(), inp)
    statuses = [s.value for s in CIStatus]
    rows = list(cis.order_by().values("ci_class__name").annotate(
        total=Count("id"), **{s: Count("id", filter=Q(status=s)) for s in statuses}).order_by("ci_class__name"))
    totals = cis.aggregate(total=Count("id"), **{s: Count("id", filter=Q(status=s)) for s in statuses})
    return {"classes": [{"label": r["ci_class__name"], "total": r["total"], **{s: r[s] for s in statuses}}
                        for r in rows],
            "totals": totals, "statuses": [{"value": s.value, "label": s.label} for s in CIStatus]}


def inspection_rounds(inp: ReportInput) -> dict[str, Any]:
    """The period's inspection rounds (inspections app): totals, completion per checklist, findings."""
    return inspection_report(start=inp.start, end=inp.end,
                             organization_id=inp.organization.pk if inp.organization is not None else None)


def inspection_tables(rounds: dict[str, Any]) -> list[Table]:
    """The inspection figures as export tables (Excel)."""
    per_template = Table(title=_("Inspection rounds"), headers=[
        _("Checklist"), _("Record form"), pgettext_lazy("inspection", "Rounds"), pgettext_lazy("inspection round", "Done"), _("Completion %"), _("Findings")],
        rows=[[r["name"], r["form"], r["rounds"], r["done"], r["completion"], r["findings"]]
              for r in rounds["by_template"]])
    findings = Table(title=_("Inspection findings"), headers=[
        _("Inspection round"), _("Date"), _("Device"), _("Item"), pgettext_lazy("inspection", "Answer"), _("Incident")],
        rows=[[r["round"], r["date"], r["ci"], r["item"], r["value"], r["incident"]] for r in rounds["finding_rows"]])
    return [per_template, findings]
