"""Incident API shapes (shared/API.md): one output shape, and separate input shapes for create,
partial update and transitions. Serializers validate and shape; the views call the services."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from accounts.models import Contact
from accounts.selectors import contact_list
from cmdb.models import CI
from cmdb.selectors import ci_list
from opsdesk import serializers
from tickets.api.serializers import AllowedActionsMixin, TicketCreateMixin, TransitionInputSerializer, action_field
from tickets.choices import SLATargetName, TicketKind
from tickets.clocks import clocks_of, is_business
from tickets.models import SLAClock
from tickets.sla.clock import measure
from tickets.sla_config import policy_for

from ..choices import CauseCategory, FaultLevel, Impact, Urgency
from ..models import FaultReport, Incident, ProgressUpdate, SpareLoan
from ..sla import TARGET_ORDER, incident_sla_view
from ..sla import clock_view_state as sla_view_state
from ..workflow import INCIDENT_WORKFLOW

# SLA target name -> (deadline column, the time that meets it)
SLA_TARGETS: dict[str, tuple[str, str]] = {
    "respond": ("respond_due", "responded_at"),
    "onsite": ("onsite_due", "onsite_at"),
    "restore": ("restore_due", "restored_at"),
    "resolve": ("resolve_due", "resolved_at"),
}


def sla_breached(incident: Incident, *, now: datetime) -> list[str]:
    """Targets whose due time passed before they were met, or are unmet and overdue. While the
    clock is paused (pending the customer) an unmet target is judged at the moment it paused."""
    clock = incident.sla_paused_at or now
    out = []
    for name, (due_field, met_field) in SLA_TARGETS.items():
        due, met = getattr(incident, due_field), getattr(incident, met_field)
        if due is not None and (met or clock) > due:
            out.append(name)
    return out


class SlaTargetSerializer(serializers.Serializer[dict[str, Any]]):
    """One target's clock, as incidents.sla.incident_sla_view reports it."""

    target = serializers.CharField(help_text=_("respond, onsite, restore, resolve, progress or report"))
    label = serializers.CharField()
    due_at = serializers.DateTimeField(allow_null=True)
    state = serializers.ChoiceField(choices=["running", "paused", "met", "warned", "breached"])
    warned_pct = serializers.IntegerField(allow_null=True, required=False)
    met_at = serializers.DateTimeField(allow_null=True, required=False)
    breached_at = serializers.DateTimeField(allow_null=True, required=False)
    seconds_left = serializers.IntegerField(allow_null=True, help_text=_("Negative when overdue; null when stopped."))


class SlaSerializer(serializers.Serializer[Incident]):
    respond_due = serializers.DateTimeField(read_only=True, allow_null=True)
    onsite_due = serializers.DateTimeField(read_only=True, allow_null=True)
    restore_due = serializers.DateTimeField(read_only=True, allow_null=True)
    resolve_due = serializers.DateTimeField(read_only=True, allow_null=True)
    paused = serializers.SerializerMethodField(help_text=_("The clocks are stopped while pending the customer."))
    breached = serializers.SerializerMethodField(
        help_text=_("Targets missed: respond, onsite, restore, resolve."))

    targets = serializers.SerializerMethodField(help_text=_("Each target's due time, state and time left."))

    def get_paused(self, obj: Incident) -> bool:
        return obj.sla_paused_at is not None

    @extend_schema_field(SlaTargetSerializer(many=True))
    def get_targets(self, obj: Incident) -> list[dict[str, Any]]:
        now = self.context.get("now") or timezone.now()
        batch = self.context.get("sla_clocks")
        if batch is not None and not _needs_calendar(batch.get(obj.pk, {})):
            view = _sla_view_from_clocks(batch.get(obj.pk, {}), now=now)
        else:
            view = incident_sla_view(incident=obj, now=now)
        return sla_targets_representation(view)

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=list(SLA_TARGETS))))
    def get_breached(self, obj: Incident) -> list[str]:
        return sla_breached(obj, now=self.context.get("now") or timezone.now())


def _iso(value: datetime | None, tz: tzinfo) -> str | None:
    """`serializers.DateTimeField().to_representation(value)` for an aware datetime, with the current
    time zone looked up once per page instead of once per value."""
    if value is None:
        return None
    text = value.astimezone(tz).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def sla_targets_representation(view: list[dict[str, Any]], *, tz: tzinfo | None = None) -> list[dict[str, Any]]:
    """What `SlaTargetSerializer(view, many=True).data` gives, without building a serializer (and
    deep-copying its fields) for every row of a list page: a list of 50 incidents did that 50 times."""
    tz = tz or timezone.get_current_timezone()
    return [{
        "target": str(item["target"]), "label": str(item["label"]), "due_at": _iso(item["due_at"], tz),
        "state": str(item["state"]),
        "warned_pct": None if item.get("warned_pct") is None else int(item["warned_pct"]),
        "met_at": _iso(item.get("met_at"), tz), "breached_at": _iso(item.get("breached_at"), tz),
        "seconds_left": None if item["seconds_left"] is None else int(item["seconds_left"]),
    } for item in view]


def _needs_calendar(clocks: dict[str, Any]) -> bool:
    """A paused business-hours clock's time left is measured on the calendar: ask the engine."""
    return any(c.paused_at is not None and c.met_at is None and is_business(c) for c in clocks.values())


def _sla_view_from_clocks(clocks: dict[str, Any], *, now: datetime,
                          labels: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """incidents.sla.incident_sla_view for a list page, from clocks read in one query for the page
    (SLAClock rows, or rows with the columns of PAGE_CLOCK_COLUMNS)."""
    out = []
    for target in TARGET_ORDER:
        clock = clocks.get(target)
        if clock is None:
            continue
        if clock.met_at is not None:
            seconds = None
        elif clock.paused_at is not None:
            seconds = 0 if clock.breached_at is not None else int(
                max((clock.due_at - clock.paused_at).total_seconds(), 0))
        else:
            seconds = int((clock.due_at - now).total_seconds())
        label = labels[target] if labels is not None else str(SLATargetName(target).label)
        out.append({"target": target, "label": label, "due_at": clock.due_at,
                    "state": sla_view_state(clock), "warned_pct": clock.warned_pct, "met_at": clock.met_at,
                    "breached_at": clock.breached_at, "seconds_left": seconds})
    return out


# What a list page reads of each clock (named rows, not model instances: ~4 clocks per row).
PAGE_CLOCK_COLUMNS = ("ticket_id", "target", "clock", "due_at", "met_at", "paused_at", "breached_at", "warned_pct")


# The columns a list row reads (issue 19): list pages select these with `values_list(named=True)` and
# serialise the named rows directly; no Incident instances are built for rows that are only serialised.
LIST_ROW_COLUMNS = (
    "id", "number", "title", "description", "fault_level", "status", "channel", "organization_id", "contact_id",
    "ci_id", "assignee_id", "group_id", "reported_at", "responded_at", "onsite_at", "restored_at", "resolved_at",
    "closed_at", "respond_due", "onsite_due", "restore_due", "resolve_due", "sla_paused_at", "escalation_level",
    "version", "impact", "urgency", "cause_category", "created_at", "updated_at",
)


def incident_list_rows(queryset: Any) -> Any:
    """`queryset` (filtered and ordered incidents) as named rows of LIST_ROW_COLUMNS plus its
    annotations (the work lists' `sla_order`, which keyset pagination reads from the boundary row).
    The joins and deferrals of the queryset do not matter: a values query selects only these columns."""
    return queryset.values_list(*LIST_ROW_COLUMNS, *queryset.query.annotations, named=True)


def sla_block(row: Any, clocks: dict[str, Any], *, now: datetime, iso: PageIso,
              labels: dict[str, str]) -> dict[str, Any]:
    """The `sla` object of one incident, computed in one pass over its clocks: what SlaSerializer
    gives (tests/api/test_incident_rows.py compares them). `row` is an Incident or a named row with
    LIST_ROW_COLUMNS; `clocks` its SLA clocks by target (SLAClock rows or named PAGE_CLOCK_COLUMNS rows).
    A paused business-hours clock's time left is measured on the organisation's calendar (from the
    process's policy cache, as incidents.sla.incident_sla_view does)."""
    judged = row.sla_paused_at or now
    breached = []
    for name, (due_field, met_field) in SLA_TARGETS.items():
        due = getattr(row, due_field)
        if due is not None and (getattr(row, met_field) or judged) > due:
            breached.append(name)
    targets = []
    calendar = None
    for target in TARGET_ORDER:
        clock = clocks.get(target)
        if clock is None:
            continue
        due_at, met_at, paused_at, breached_at = clock.due_at, clock.met_at, clock.paused_at, clock.breached_at
        seconds: int | None
        if met_at is not None:
            seconds, state = None, "met"
        elif paused_at is not None:
            state = "paused"
            if breached_at is not None:
                seconds = 0
            elif is_business(clock):
                if calendar is None:
                    calendar = policy_for(organization_id=row.organization_id, now=now).calendar
                seconds = int(measure(paused_at, due_at, business=True, calendar=calendar).total_seconds())
            else:
                seconds = int(max((due_at - paused_at).total_seconds(), 0))
        else:
            seconds = int((due_at - now).total_seconds())
            state = "breached" if breached_at is not None else ("warned" if clock.warned_pct else "running")
        warned = clock.warned_pct
        targets.append({
            "target": str(target), "label": labels[target], "due_at": iso(due_at), "state": state,
            "warned_pct": None if warned is None else int(warned), "met_at": iso(met_at),
            "breached_at": iso(breached_at), "seconds_left": seconds,
        })
    return {
        "respond_due": iso(row.respond_due), "onsite_due": iso(row.onsite_due),
        "restore_due": iso(row.restore_due), "resolve_due": iso(row.resolve_due),
        "paused": row.sla_paused_at is not None, "breached": breached, "targets": targets,
    }


class PageIso:
    """`_iso` for one response: each distinct instant is formatted once (a row's `*_due` are its
    clocks' `due_at`; equal instants give equal text whatever their tzinfo)."""

    __slots__ = ("seen", "tz")

    def __init__(self, tz: tzinfo) -> None:
        self.tz = tz
        self.seen: dict[datetime, str | None] = {}

    def __call__(self, value: datetime | None) -> str | None:
        if value is None:
            return None
        text = self.seen.get(value)
        if text is None:
            text = self.seen[value] = _iso(value, self.tz)
        return text


def sla_labels() -> dict[str, str]:
    """The targets' labels in the active language, looked up once per response."""
    return {t: str(SLATargetName(t).label) for t in TARGET_ORDER}


class IncidentListSerializer(serializers.ListSerializer[Incident]):
    """Reads the SLA clocks of the whole page in one query, so a list costs the same for 5 rows or 200.
    The rows are named rows (incident_list_rows) or Incident instances: both serialise the same."""

    def to_representation(self, data: Any) -> list[Any]:
        rows = list(data.all() if hasattr(data, "all") else data)
        batch: dict[int, dict[str, Any]] = {row.id: {} for row in rows}
        if batch:
            clocks = (SLAClock.objects.filter(ticket_kind=TicketKind.INCIDENT, ticket_id__in=list(batch))
                      .values_list(*PAGE_CLOCK_COLUMNS, named=True))
            for clock in clocks:
                batch[clock.ticket_id][clock.target] = clock
        child: IncidentSerializer = self.child  # type: ignore[assignment]
        context = child.context
        now = context.get("now") or timezone.now()
        iso = PageIso(timezone.get_current_timezone())  # once per page, not once per value
        labels = sla_labels()
        plan = child.fast_plan()
        return [child.fast_representation(row, plan=plan, clocks=batch[row.id], now=now, iso=iso, labels=labels)
                for row in rows]


class IncidentSerializer(serializers.ModelSerializer[Incident]):
    """Every field of an incident (detail, create and write responses). The declared fields are the
    schema and the reference; `to_representation` gives the same dict without DRF's per-field
    dispatch (tests/api/test_incident_rows.py compares the two, for staff and customers)."""

    sla = SlaSerializer(source="*", read_only=True)

    class Meta:
        model = Incident
        list_serializer_class = IncidentListSerializer
        fields = [
            "id", "number", "title", "description", "fault_level", "status", "channel", "organization", "contact",
            "ci", "assignee", "group", "reported_at", "responded_at", "onsite_at", "restored_at", "resolved_at",
            "closed_at", "sla", "escalation_level", "version", "impact", "urgency", "level_reason", "workaround",
            "cause_category", "resolution", "created_at", "updated_at",
        ]
        read_only_fields = fields

    def to_representation(self, instance: Incident) -> dict[str, Any]:
        fresh = instance.__dict__.pop("fresh_sla_clocks", None)  # just written by incident_sla_start
        clocks = fresh if fresh is not None else clocks_of(ticket_kind=TicketKind.INCIDENT, ticket_id=instance.pk)
        return self.fast_representation(instance, plan=self.fast_plan(), clocks=clocks,
                                        now=self.context.get("now") or timezone.now(),
                                        iso=PageIso(timezone.get_current_timezone()), labels=sla_labels())

    def fast_representation(self, row: Any, *, plan: list[tuple[str, str, str, Any]], clocks: dict[str, Any],
                            now: datetime, iso: PageIso, labels: dict[str, str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, kind, attr, field in plan:
            if kind == "sla":
                out[name] = sla_block(row, clocks, now=now, iso=iso, labels=labels)
                continue
            if kind == "method":
                out[name] = getattr(self, attr)(row)
                continue
            value = getattr(row, attr)
            if value is None or kind == "raw":
                out[name] = value
            elif kind == "datetime":
                out[name] = iso(value)
            elif kind == "str" and type(value) is str:
                out[name] = value
            elif kind == "int" and type(value) is int:
                out[name] = value
            else:
                out[name] = field.to_representation(value)
        return out

    def fast_plan(self) -> list[tuple[str, str, str, Any]]:
        """(name, kind, attribute, field) per output field, in the declared order; built once per
        class and process (DRF builds a ModelSerializer's fields anew for every instance)."""
        plan = _FAST_PLANS.get(type(self))
        if plan is None:
            plan = []
            for field in self._readable_fields:
                name, source = str(field.field_name), str(field.source)
                if name == "sla":
                    plan.append((name, "sla", "", None))
                elif isinstance(field, serializers.SerializerMethodField):
                    plan.append((name, "method", str(field.method_name), None))
                elif isinstance(field, serializers.DateTimeField):
                    plan.append((name, "datetime", source, None))
                elif isinstance(field, serializers.PrimaryKeyRelatedField):
                    plan.append((name, "raw", f"{source}_id", None))
                elif isinstance(field, serializers.Serializer) or "." in source:
                    raise AssertionError(f"{type(self).__name__} has no fast path for {name}")
                elif isinstance(field, serializers.ChoiceField | serializers.CharField):
                    plan.append((name, "str", source, field))  # a str is given as it is
                elif isinstance(field, serializers.IntegerField):
                    plan.append((name, "int", source, field))
                else:
                    plan.append((name, "value", source, field))
            _FAST_PLANS[type(self)] = plan
        return plan


_FAST_PLANS: dict[type, list[tuple[str, str, str, Any]]] = {}


# Long free text a list row does not show: lists leave it out, the detail has it.
# shared/API.md promises `description` in incident lists; the other long free-text fields are detail-only.
LIST_OMITTED_FIELDS = ("level_reason", "workaround", "resolution")


class IncidentListItemSerializer(IncidentSerializer):
    """One row of an incident list (list, queue, mine): every field but the long free text
    (LIST_OMITTED_FIELDS), which the detail GET carries. `sla` with its targets stays."""

    class Meta(IncidentSerializer.Meta):
        fields = [f for f in IncidentSerializer.Meta.fields if f not in LIST_OMITTED_FIELDS]
        read_only_fields = fields


class IncidentDetailSerializer(AllowedActionsMixin, IncidentSerializer):
    workflow = INCIDENT_WORKFLOW
    allowed_actions = serializers.SerializerMethodField()

    class Meta(IncidentSerializer.Meta):
        fields = [*IncidentSerializer.Meta.fields, "allowed_actions"]
        read_only_fields = fields


class IncidentCreateSerializer(TicketCreateMixin):
    """A new incident. Contact and CI are among those the requesting user may see."""

    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000)
    impact = serializers.ChoiceField(choices=Impact.choices, default=Impact.LOW)
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.LOW)
    fault_level = serializers.ChoiceField(
        choices=FaultLevel.choices, required=False, allow_null=True,
        help_text=_("Omit to take the level suggested by impact × urgency; a different level needs level_reason."),
    )
    level_reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    ci = serializers.ScopedRelatedField(scope=ci_list, model=CI, required=False, allow_null=True)


class IncidentUpdateSerializer(serializers.Serializer[Any]):
    """The fields an incident's edit changes. Contact and CI are among those the requesting user may see."""

    version = serializers.IntegerField(required=False, min_value=1,
                                       help_text=_("The version you read; a stale one is refused with 409."))
    title = serializers.CharField(required=False, max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    contact = serializers.ScopedRelatedField(scope=contact_list, model=Contact, required=False, allow_null=True)
    ci = serializers.ScopedRelatedField(scope=ci_list, model=CI, required=False, allow_null=True)
    impact = serializers.ChoiceField(choices=Impact.choices, required=False)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)
    fault_level = serializers.ChoiceField(choices=FaultLevel.choices, required=False)
    level_reason = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class IncidentTransitionInputSerializer(TransitionInputSerializer):
    action = action_field(INCIDENT_WORKFLOW)
    workaround = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    cause_category = serializers.ChoiceField(choices=CauseCategory.choices, required=False, allow_blank=True)


# --- SLA follow-ups: progress updates, fault report, spare-device loans -------------------------


class ProgressUpdateSerializer(serializers.ModelSerializer[ProgressUpdate]):
    author_name = serializers.CharField(source="author.display_name", read_only=True)

    class Meta:
        model = ProgressUpdate
        fields = ["id", "incident", "author", "author_name", "body", "created_at"]
        read_only_fields = fields


class ProgressUpdateInputSerializer(serializers.Serializer[Any]):
    body = serializers.CharField(max_length=20000, help_text=_("What has been done, what happens next."))


class FaultReportSerializer(serializers.ModelSerializer[FaultReport]):
    author_name = serializers.CharField(source="author.display_name", read_only=True)

    class Meta:
        model = FaultReport
        fields = ["id", "incident", "author", "author_name", "summary", "cause", "handling", "prevention", "status",
                  "submitted_at", "created_at", "updated_at", "version"]
        read_only_fields = fields


class FaultReportInputSerializer(serializers.Serializer[Any]):
    version = serializers.IntegerField(
        required=False, allow_null=True, min_value=0,
        help_text=_("The report version you read (omit on the first save); a stale one is refused with 409."))
    summary = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    cause = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    handling = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    prevention = serializers.CharField(required=False, allow_blank=True, max_length=20000)


class FaultReportSubmitSerializer(serializers.Serializer[Any]):
    version = serializers.IntegerField(required=False, allow_null=True, min_value=1,
                                       help_text=_("The report version you read; a stale one is refused with 409."))


class SpareLoanSerializer(serializers.ModelSerializer[SpareLoan]):
    incident_number = serializers.CharField(source="incident.number", read_only=True)
    lent_by_name = serializers.CharField(source="lent_by.display_name", read_only=True)

    class Meta:
        model = SpareLoan
        fields = ["id", "incident", "incident_number", "description", "faulty_ci", "standby_ci", "lent_at", "lent_by",
                  "lent_by_name", "returned_at", "note"]
        read_only_fields = fields


class SpareLoanInputSerializer(serializers.Serializer[Any]):
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=200,
                                        help_text=_("The standby device; may be omitted when standby_ci is given."))
    faulty_ci = serializers.PrimaryKeyRelatedField(queryset=CI.objects.none(), required=False, allow_null=True,
                                                   default=None)
    standby_ci = serializers.PrimaryKeyRelatedField(queryset=CI.objects.none(), required=False, allow_null=True,
                                                    default=None)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is None:  # schema generation
            return
        for name in ("faulty_ci", "standby_ci"):
            self.fields[name].queryset = ci_list(user=request.user)  # type: ignore[attr-defined]
