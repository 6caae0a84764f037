"""Permission-scoped reads of incidents. Every one starts from `visible_to(user)`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from functools import partial
from itertools import chain
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber, TruncMonth
from django.http import Http404
from django.utils.dateparse import parse_datetime

from cmdb.models import CI
from opsdesk.jsonrows import instances_from_json, json_rows, json_supported
from opsdesk.statements import compiled_get, compiled_rows
from tickets.choices import ClockState, SLATargetName, TicketKind
from tickets.clocks import clocks_of
from tickets.models import Attachment, Comment, SLAClock, TicketEvent, TicketQuerySet, WorkLog
from tickets.selectors import (
    ticket_attachment_list,
    ticket_comment_list,
    ticket_event_list,
    ticket_timeline,
    ticket_worklog_list,
)
from tickets.sla_config import calendar_confirmed_years, policy_for

from .choices import OPEN_STATUSES, QUEUE_STATUSES, FaultLevel, IncidentStatus
from .filtersets import IncidentFilterSet
from .models import (
    FaultReport,
    FaultReportStatus,
    Incident,
    ObservationCheck,
    ObservationItem,
    ProgressUpdate,
    SpareLoan,
    sla_order_expression,
)
from .sla import sla_filter

LIST_RELATED = ("organization", "contact", "ci", "assignee", "group")
LOAN_RELATED = ("faulty_ci", "standby_ci", "lent_by")

# Nearest deadline first (no deadline last: see sla_order_expression), then level, then age.
WORK_ORDER = ("sla_order", "fault_level", "reported_at", "id")
# The dispatcher queue (issue #12): the most severe level first — a new level I is dispatched before
# an overdue level IV — then, within a level, the breached / nearest deadline first (no deadline
# last), then the oldest. "I" < "II" < "III" < "IV" as text, so the level sorts as stored.
QUEUE_ORDER = ("fault_level", "sla_order", "reported_at", "id")
# Faults are counted per calendar month of the customer's wall clock.
FAULT_MONTH_TZ = ZoneInfo("Asia/Shanghai")
REPLACEMENT_THRESHOLD = 3
REPORT_DUE_AFTER = timedelta(days=3)


def incident_base(*, user: Any) -> QuerySet[Incident]:
    return Incident.objects.visible_to(user)


def incident_list(*, user: Any, filters: Any = None) -> QuerySet[Incident]:
    qs = incident_base(user=user).select_related(*LIST_RELATED)
    if filters:
        fs = IncidentFilterSet(filters, queryset=qs, user=user)
        if not fs.is_valid():
            from django.core.exceptions import ValidationError

            raise ValidationError(fs.errors)
        qs = fs.qs
    return qs


def incident_get(*, user: Any, pk: Any) -> Incident:
    try:
        return incident_base(user=user).select_related(*LIST_RELATED, "created_by").get(pk=int(pk))
    except (Incident.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def incident_detail_get(*, user: Any, pk: Any) -> Incident:
    """incident_get without the joins: for the API detail, whose output carries ids only (issue 19)."""
    try:
        return incident_base(user=user).get(pk=int(pk))
    except (Incident.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def incident_page_get(*, user: Any, pk: Any) -> Incident:
    """`incident_get` and, in the same query (issue 19), what the staff page shows under it: the
    timeline's events, comments, attachments and work logs, the SLA clocks, progress updates, fault
    report and spare loans — each read through its own selector, so their visibility rules hold. The
    lists are on the incident as `page_timeline` (time order), `fresh_sla_clocks` (read once by
    incident_sla_view), `page_progress`, `page_report` and `page_loans`. PostgreSQL only: elsewhere the
    attributes are filled by the plain selectors. `page_observation`: the observation checklist
    (incidents.observation.observation_checklist), PostgreSQL only."""
    try:
        key = int(pk)
    except (ValueError, TypeError):
        raise Http404 from None
    incident: Any
    if not json_supported():
        incident = incident_get(user=user, pk=key)
        incident.page_timeline = incident_timeline(user=user, incident=incident)
        incident.fresh_sla_clocks = clocks_of(ticket_kind=TicketKind.INCIDENT, ticket_id=incident.pk)
        incident.page_progress = list(progress_update_list(user=user, incident=incident))
        incident.page_report = fault_report_get(user=user, incident=incident)
        incident.page_loans = list(spare_loan_list(user=user, incident=incident))
        return incident
    # Built and compiled once per process and visibility (opsdesk.statements), prepared per connection.
    shape = ("incident_page", TicketQuerySet.visibility_key(user), bool(user.is_customer))
    incident = compiled_get(model=Incident, shape=shape, build=partial(_incident_page_qs, user), key=key)
    if incident is None:
        raise Http404
    d = incident.__dict__
    items = chain(instances_from_json(TicketEvent, d.pop("j_events"), related=("actor",)),
                  instances_from_json(Comment, d.pop("j_comments"), related=("author",)),
                  instances_from_json(Attachment, d.pop("j_attachments"), related=("author",)),
                  instances_from_json(WorkLog, d.pop("j_worklogs", None), related=("author",)))
    incident.page_timeline = sorted(items, key=lambda item: (item.created_at, item.__class__.__name__, item.pk))
    incident.fresh_sla_clocks = {c.target: c for c in instances_from_json(SLAClock, d.pop("j_clocks"))}
    incident.page_progress = instances_from_json(ProgressUpdate, d.pop("j_progress"), related=("author",))
    reports = instances_from_json(FaultReport, d.pop("j_report"), related=("author",))
    incident.page_report = reports[0] if reports else None
    incident.page_loans = instances_from_json(SpareLoan, d.pop("j_loans"), related=LOAN_RELATED)
    for loan in incident.page_loans:
        SpareLoan._meta.get_field("incident").set_cached_value(loan, incident)
    checks = {c.item_id: c for c in instances_from_json(ObservationCheck, d.pop("j_obs_checks"),
                                                         related=("checked_by",))}
    incident.page_observation = [(item, checks.get(item.pk))
                                 for item in instances_from_json(ObservationItem, d.pop("j_obs_items"))]
    return incident


def _incident_page_qs(user: Any, key: int) -> QuerySet[Incident]:
    """incident_page_get's statement: the incident, its page's lists as JSON (`json_rows`)."""
    stub = Incident(pk=key)
    qs = incident_base(user=user).select_related(*LIST_RELATED, "created_by").annotate(
        j_events=json_rows(ticket_event_list(user=user, ticket=stub), related=("actor",)),
        j_comments=json_rows(ticket_comment_list(user=user, ticket=stub), related=("author",)),
        j_attachments=json_rows(ticket_attachment_list(user=user, ticket=stub), related=("author",)),
        j_clocks=json_rows(SLAClock.objects.filter(ticket_kind=TicketKind.INCIDENT, ticket_id=key)),
        j_progress=json_rows(progress_update_list(user=user, incident=stub), related=("author",)),
        j_report=json_rows(_fault_report_qs(user=user, incident=stub)[:1], related=("author",)),
        j_loans=json_rows(spare_loan_list(user=user, incident=stub), related=LOAN_RELATED),
        # The observation checklist (shown while observing and after): active items, this incident's results.
        j_obs_items=json_rows(ObservationItem.objects.filter(is_active=True).order_by("position", "id")),
        j_obs_checks=json_rows(ObservationCheck.objects.filter(incident_id=key), related=("checked_by",)),
    )
    if not user.is_customer:  # work logs are internal
        qs = qs.annotate(j_worklogs=json_rows(ticket_worklog_list(user=user, ticket=stub), related=("author",)))
    return qs.filter(pk=key)


def incident_dispatch_queue(*, user: Any) -> QuerySet[Incident]:
    """New and unassigned incidents, most severe first, then by the nearest deadline (breached first,
    none last), then oldest (QUEUE_ORDER; index inc_dispatch_queue)."""
    return (
        incident_base(user=user).select_related(*LIST_RELATED)
        .filter(assignee__isnull=True, status__in=QUEUE_STATUSES)
        .annotate(sla_order=sla_order_expression())
        .order_by(*QUEUE_ORDER)
    )


def incident_my_work(*, user: Any, assignee_id: int | None = None) -> QuerySet[Incident]:
    """The user's open incidents by the nearest deadline (none last), then most severe, then oldest.
    `assignee_id` stands for the user's own id where a statement is compiled once for every user
    (opsdesk.statements.SENTINEL)."""
    return (
        incident_base(user=user).select_related(*LIST_RELATED)
        .filter(assignee_id=user.pk if assignee_id is None else assignee_id, status__in=OPEN_STATUSES)
        .annotate(sla_order=sla_order_expression())
        .order_by(*WORK_ORDER)
    )


# What the HTML work lists show of a row (incidents/templatetags/incident_rows.py): named rows, no
# model instances, the related names joined in (issue 19).
WORK_ROW_COLUMNS = (
    "pk", "number", "title", "fault_level", "status", "sla_next_due", "sla_paused_at", "reported_at", "version",
    "group_id", "assignee_id", "organization__name", "ci__name", "group__name", "assignee__name",
    "assignee__first_name", "assignee__last_name", "assignee__username",
)


def incident_work_rows(qs: QuerySet[Incident]) -> Any:
    """`qs` (filtered and ordered incidents) as named rows of WORK_ROW_COLUMNS and its annotations."""
    return qs.values_list(*WORK_ROW_COLUMNS, *qs.query.annotations, named=True)


def incident_work_page(qs: QuerySet[Incident], *, after: str | None, size: int) -> tuple[list[Incident], str | None]:
    """One keyset page of a work list in WORK_ORDER (`incident_my_work`, optionally SLA-filtered),
    starting after the opaque cursor "sla_order|level|reported_at|id" of the previous page's last row
    (an unreadable cursor reads as the first page). No COUNT, no OFFSET. Returns (rows, next cursor)."""
    parts = (after or "").split("|")
    if len(parts) == 4 and parts[3].isdigit():
        due, reported = parse_datetime(parts[0]), parse_datetime(parts[2])
        level, pk = parts[1], int(parts[3])
        if due is not None and reported is not None:
            qs = qs.filter(
                Q(sla_order__gt=due)
                | Q(sla_order=due, fault_level__gt=level)
                | Q(sla_order=due, fault_level=level, reported_at__gt=reported)
                | Q(sla_order=due, fault_level=level, reported_at=reported, id__gt=pk))
    return _work_page(list(qs[: size + 1]), size)


def _work_page(rows: list[Any], size: int) -> tuple[list[Any], str | None]:
    """(the first `size` of `rows`, the cursor after them, or None when `rows` held no more)."""
    if len(rows) <= size:
        return rows, None
    rows = rows[:size]
    tail: Any = rows[-1]
    return rows, f"{tail.sla_order.isoformat()}|{tail.fault_level}|{tail.reported_at.isoformat()}|{tail.pk}"


def incident_my_work_first_page(*, user: Any, size: int) -> tuple[list[Any], str | None]:
    """`incident_work_page` of the user's `incident_my_work` rows without a cursor, from a statement
    compiled once per process and visibility with the user's id put in, prepared per connection (a
    user's own open incidents plan the same for every user)."""
    rows = compiled_rows(
        model=Incident, shape=("incident_my_work_rows", TicketQuerySet.visibility_key(user), size),
        build=lambda assignee_id: incident_work_rows(incident_my_work(user=user, assignee_id=assignee_id))[: size + 1],
        key=user.pk, named=True, prepare=True)
    return _work_page(rows, size)


def incident_queue_rows(*, user: Any, size: int) -> list[Any]:
    """The first `size` rows of `incident_dispatch_queue` as `incident_work_rows`, from a statement
    compiled once per process and visibility, prepared per connection."""
    return compiled_rows(
        model=Incident, shape=("incident_queue_rows", TicketQuerySet.visibility_key(user), size),
        build=lambda _key: incident_work_rows(incident_dispatch_queue(user=user))[:size],
        key=None, named=True, prepare=True)


def incident_possible_duplicates(*, user: Any, organization_id: int | None, ci_id: int | None,
                                 limit: int = 10) -> list[Incident]:
    """Open incidents on the same CI first, then others of the same organisation; resolved and
    observed ones count too, since a call about them is a recurrence."""
    if not organization_id and not ci_id:
        return []
    base = incident_base(user=user).select_related("ci", "assignee").filter(
        status__in=(*OPEN_STATUSES, IncidentStatus.RESOLVED, IncidentStatus.OBSERVING))
    same_ci = list(base.filter(ci_id=ci_id).order_by("-reported_at")[:limit]) if ci_id else []
    rest: list[Incident] = []
    if organization_id and len(same_ci) < limit:
        rest = list(base.filter(organization_id=organization_id).exclude(pk__in=[i.pk for i in same_ci])
                    .order_by("-reported_at")[: limit - len(same_ci)])
    return same_ci + rest


def incident_timeline(*, user: Any, incident: Incident) -> list[Any]:
    """Events, comments, work logs and attachments in time order; customers see public items only."""
    return ticket_timeline(user=user, ticket=incident)


# --- SLA follow-ups: progress updates, fault reports, spare loans, major incidents -----------

def progress_update_list(*, user: Any, incident: Incident) -> QuerySet[ProgressUpdate]:
    """An incident's progress updates, oldest first; customers see those of their organisation."""
    visible = incident_base(user=user).filter(pk=incident.pk).values("pk")
    return ProgressUpdate.objects.filter(incident__in=visible).select_related("author").order_by("created_at", "id")


def fault_report_get(*, user: Any, incident: Incident) -> FaultReport | None:
    """The incident's fault report. Staff see drafts; customers only a submitted report."""
    return _fault_report_qs(user=user, incident=incident).first()


def _fault_report_qs(*, user: Any, incident: Incident) -> QuerySet[FaultReport]:
    qs = FaultReport.objects.filter(incident__in=incident_base(user=user).filter(pk=incident.pk).values("pk"))
    if getattr(user, "is_customer", True) and not getattr(user, "is_superuser", False):
        qs = qs.filter(status=FaultReportStatus.SUBMITTED)
    return qs.select_related("author").order_by("pk")


def _report_clock(field: str) -> Subquery:
    return Subquery(
        SLAClock.objects.filter(ticket_kind=TicketKind.INCIDENT, ticket_id=OuterRef("pk"),
                                target=SLATargetName.REPORT).values(field)[:1])


def fault_report_overdue(*, user: Any, now: datetime) -> QuerySet[Incident]:
    """Resolved incidents whose fault report is not submitted although its clock breached or its due
    time passed (3 days after resolution when no report clock exists). Most overdue first."""
    report_clock = SLAClock.objects.filter(ticket_kind=TicketKind.INCIDENT, ticket_id=OuterRef("pk"),
                                           target=SLATargetName.REPORT)
    submitted = FaultReport.objects.filter(incident=OuterRef("pk"), status=FaultReportStatus.SUBMITTED)
    breached = report_clock.filter(Q(state=ClockState.BREACHED) | Q(state=ClockState.RUNNING, due_at__lt=now))
    return (
        incident_base(user=user).select_related(*LIST_RELATED)
        .filter(resolved_at__isnull=False)
        .exclude(status=IncidentStatus.CANCELLED)
        .filter(~Exists(submitted))
        .filter(Exists(breached) | (~Exists(report_clock) & Q(resolved_at__lt=now - REPORT_DUE_AFTER)))
        .annotate(report_due=Coalesce(_report_clock("due_at"),
                                      ExpressionWrapper(F("resolved_at") + REPORT_DUE_AFTER, output_field=DateTimeField()),
                                      output_field=DateTimeField()),
                  report_status=Subquery(FaultReport.objects.filter(incident=OuterRef("pk")).values("status")[:1]))
        .order_by("report_due", "id")
    )


def incident_major_list(*, user: Any) -> QuerySet[Incident]:
    """Open level I incidents (major incidents), with the time of their last progress update."""
    last_progress = ProgressUpdate.objects.filter(incident=OuterRef("pk")).order_by("-created_at", "-id")
    return (
        incident_base(user=user).select_related(*LIST_RELATED)
        .filter(fault_level=FaultLevel.I, status__in=OPEN_STATUSES)
        .annotate(sla_order=sla_order_expression(),
                  last_progress_at=Subquery(last_progress.values("created_at")[:1]))
        .order_by("sla_order", "reported_at", "id")
    )


def spare_loan_list(*, user: Any, incident: Incident | None = None, open_only: bool = False) -> QuerySet[SpareLoan]:
    """Spare-device loans of visible incidents (of one incident when given), longest out first."""
    visible = incident_base(user=user)
    if incident is not None:
        visible = visible.filter(pk=incident.pk)
    qs = SpareLoan.objects.filter(incident__in=visible.values("pk"))
    if open_only:
        qs = qs.filter(returned_at__isnull=True)
    return qs.select_related("incident", "incident__organization", *LOAN_RELATED).order_by(
        "lent_at", "id")


def spare_loan_get(*, user: Any, pk: Any) -> SpareLoan:
    try:
        return spare_loan_list(user=user).get(pk=int(pk))
    except (SpareLoan.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def _month_bounds(month: date) -> tuple[datetime, datetime]:
    start = datetime(month.year, month.month, 1, tzinfo=FAULT_MONTH_TZ)
    end = datetime(month.year + (month.month == 12), month.month % 12 + 1, 1, tzinfo=FAULT_MONTH_TZ)
    return start, end


def _counted_faults(qs: QuerySet[Incident]) -> QuerySet[Incident]:
    # A cancelled incident (logged in error, a duplicate) is not a fault of the device.
    return qs.filter(ci__isnull=False).exclude(status=IncidentStatus.CANCELLED)


def ci_replacement_list(*, user: Any, month: date | None = None) -> QuerySet[Any]:
    """CIs with 3 or more incidents in one calendar month (Asia/Shanghai), computed in one
    aggregated query: GROUP BY ci, month HAVING COUNT >= 3. With `month`, that month only.
    Rows are dicts: ci_id, ci_name, ci_location, organization_name, month, faults."""
    qs = _counted_faults(incident_base(user=user))
    if month is not None:
        start, end = _month_bounds(month)
        qs = qs.filter(reported_at__gte=start, reported_at__lt=end)
    return (
        qs.annotate(month=TruncMonth("reported_at", tzinfo=FAULT_MONTH_TZ))
        .values("ci_id", "month")
        .annotate(faults=Count("id"), ci_name=F("ci__name"), ci_location=F("ci__location"),
                  organization_name=F("ci__organization__name"))
        .filter(faults__gte=REPLACEMENT_THRESHOLD)
        .order_by("-month", "-faults", "ci_name", "ci_id")
    )


def ci_fault_count_this_month(ci: CI, *, now: datetime) -> int:
    """Incidents on `ci` in the current calendar month (Asia/Shanghai): 3 or more flags it for replacement."""
    local = now.astimezone(FAULT_MONTH_TZ)
    start, end = _month_bounds(date(local.year, local.month, 1))
    return _counted_faults(Incident.objects.filter(ci=ci, reported_at__gte=start, reported_at__lt=end)).count()


def sla_unconfirmed_years(*, incident: Incident, years: Any, now: datetime) -> list[int]:
    """Years among `years` whose holidays are not confirmed official data in the calendar of the
    incident's SLA policy (its organisation's, else the default): business-hour deadlines in such a
    year may still move, and the page says so instead of pretending. From the cached policy
    (tickets.sla_config.policy_for), whose window covers this year and the next."""
    wanted = {int(y) for y in years}
    if not wanted:
        return []
    policy = policy_for(organization_id=incident.organization_id, now=now)
    if policy.policy_id is None or policy.calendar_id is None:
        return []
    confirmed = set(policy.confirmed_years & wanted)
    outside = wanted - set(policy.window_years)
    if outside:  # a year the cached window does not cover (an old incident): every confirmed year, cached
        confirmed |= calendar_confirmed_years(calendar_id=policy.calendar_id) & outside
    return sorted(wanted - confirmed)


def incident_sla_filter(qs: QuerySet[Incident], value: str) -> QuerySet[Incident]:
    """IncidentFilterSet `sla=`: "breached" (a target is past due and unmet) or "at_risk" (a warning
    threshold has passed on a running target); the SLA engine owns the definitions."""
    return sla_filter(qs, value)


# --- The incident page's pickers in one query (issue 19) -------------------------------------

PickerOptions = list[tuple[Any, str, dict[str, str]]]


def incident_page_pickers(*, user: Any, organization_id: int | None) -> dict[str, PickerOptions]:
    """The options of every picker on an incident's staff page, each read as a UNION ALL: active support
    groups and assignable engineers (with their active groups, for the group filter), the organisation's
    active contacts, its CIs that are not retired (the edit form's device and the loan's faulty device)
    and the standby CIs (a loan's standby device). Each part is the queryset the form would iterate
    (same visibility, same order); values and labels as the forms' fields give them. Groups and
    engineers are the same on every page: they are read once per process (tickets.forms.PICKERS)."""
    from accounts.models import SupportGroup, User  # noqa: PLC0415
    from accounts.selectors import contact_list  # noqa: PLC0415
    from cmdb.choices import CIStatus  # noqa: PLC0415
    from cmdb.selectors import ci_list  # noqa: PLC0415
    from tickets.forms import ASSIGNABLE_ROLES, PICKERS  # noqa: PLC0415

    blank, none = Value(""), Value(None, output_field=IntegerField())

    def row(qs: QuerySet[Any], order: tuple[str, ...], kind: str, a: Any, b: Any, c: Any = blank,
            d: Any = blank, g: Any = none, *, p: int) -> QuerySet[Any]:
        # Each part keeps its own order inside the union: its position, then its row number.
        position = Window(RowNumber(), order_by=[F(name).asc() for name in order])
        return qs.order_by().annotate(k_=Value(kind), i_=F("pk"), a_=a, b_=b, c_=c, d_=d, g_=g,
                                      p_=Value(p), o_=position).values_list(
            "k_", "i_", "a_", "b_", "c_", "d_", "g_", "p_", "o_")

    def people() -> dict[str, PickerOptions]:
        """Groups and engineers: the same on every page, kept per process (tickets.forms.PICKERS,
        dropped in every process when a user, a group or a membership changes)."""
        parts = [row(SupportGroup.objects.filter(is_active=True), ("name", "pk"), "group", F("name"), blank, p=0),
                 row(User.objects.filter(is_active=True, role__in=ASSIGNABLE_ROLES)
                     .annotate(active_group=FilteredRelation("support_groups",
                                                             condition=Q(support_groups__is_active=True))),
                     ("name", "username", "pk", "active_group__id"),
                     "engineer", F("name"), F("first_name"), F("last_name"), F("username"), F("active_group__id"),
                     p=1)]
        return _picker_rows(_union(parts), {"group": [], "engineer": []})

    def organisation(org_id: int | None) -> QuerySet[Any]:
        cis = ci_list(user=user).exclude(status=CIStatus.RETIRED)
        parts: list[QuerySet[Any]] = []
        if org_id:
            parts.append(row(contact_list(user=user).filter(is_active=True, organization_id=org_id),
                             ("name", "pk"), "contact", F("name"), F("phone"), p=0))
            parts.append(row(cis.filter(organization_id=org_id), ("name", "id"), "ci", F("name"), F("location"), p=1))
        parts.append(row(cis.filter(status=CIStatus.STANDBY), ("name", "id"), "standby", F("name"), F("location"), p=2))
        return _union(parts)

    out = {**PICKERS.get("page-people", people), "contact": [], "ci": [], "standby": []}
    # Compiled once per process and visibility (opsdesk.statements); the organisation is the one value.
    shape = ("incident_page_pickers", user.is_authenticated, user.is_active, user.is_superuser, user.is_customer,
             user.organization_id if user.is_customer else None)
    return _picker_rows(compiled_rows(model=CI, shape=shape, build=organisation, key=organization_id or None), out)


def _union(parts: list[QuerySet[Any]]) -> QuerySet[Any]:
    return parts[0].union(*parts[1:], all=True).order_by("p_", "o_")


def _picker_rows(rows: Iterable[Any], out: dict[str, PickerOptions]) -> dict[str, PickerOptions]:
    """incident_page_pickers' rows (its parts read in one UNION ALL, in each part's order) into `out`."""
    engineers_seen: dict[int, dict[str, str]] = {}
    for kind, pk, a, b, c, d, g, _p, _o in rows:
        if kind == "engineer":
            attrs = engineers_seen.get(pk)
            if attrs is None:  # one row per active membership
                attrs = engineers_seen[pk] = {"data-groups": ""}
                out[kind].append((pk, a or f"{b} {c}".strip() or d, attrs))
            if g is not None:
                attrs["data-groups"] = f"{attrs['data-groups']} {g}".strip()
        elif kind == "group":
            out[kind].append((pk, a, {}))
        else:  # contact: name · phone; CI: name · location (ContactChoiceField, CIChoiceField)
            out[kind].append((pk, f"{a} · {b}" if b else a, {}))
    return out
