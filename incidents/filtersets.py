"""One FilterSet for incidents, shared by the API and the operator list page."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, time, timedelta
from typing import Any

import django_filters as filters
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opsdesk.filters import IdFilter, StrictBooleanFilter, UtcDateTimeFilter
from tickets.choices import Channel, TicketKind
from tickets.filtersets import MonthFilter, WorkFilterSet
from tickets.models import CallRecord

from .choices import FaultLevel, IncidentStatus
from .models import Incident
from .sla import sla_filter

FULL_NUMBER_RE = re.compile(r"^INC-\d+$", re.IGNORECASE)
PHONE_RE = re.compile(r"^\+?[\d\-\s()]{3,}$")
MAX_TERMS = 8


def search_terms(value: str) -> list[str]:
    """The words of a search, each to be found somewhere (any order); at most MAX_TERMS."""
    return [term[:100] for term in (value or "").split()][:MAX_TERMS]


def term_q(term: str) -> Q:
    """Where one search word may occur: the number (also partly: "301"), title, description, and
    for digits the phone of the contact or of any call logged for the incident."""
    found = Q(number__icontains=term) | Q(title__icontains=term) | Q(description__icontains=term)
    if PHONE_RE.match(term):
        digits = re.sub(r"[^\d+]", "", term)
        calls = CallRecord.objects.filter(ticket_kind=TicketKind.INCIDENT, caller_phone__contains=digits)
        found |= Q(contact__phone__contains=digits) | Q(pk__in=calls.values("ticket_id"))
    return found


def incident_text_search(queryset: QuerySet[Incident], value: str) -> QuerySet[Incident]:
    """A full INC- number finds that incident; anything else: every word must occur (any order, the
    same on PostgreSQL and SQLite)."""
    value = (value or "").strip()
    if not value:
        return queryset
    if FULL_NUMBER_RE.match(value):
        return queryset.filter(number=value.upper())
    for term in search_terms(value):
        queryset = queryset.filter(term_q(term))
    return queryset


class IncidentFilterSet(WorkFilterSet):
    q = filters.CharFilter(method="filter_q", label=_("Search"), max_length=500,
                           help_text=_("Incident number (also a part of it), caller's phone, or words of the title "
                                       "and description: every word must occur."))
    status = filters.MultipleChoiceFilter(choices=IncidentStatus.choices, label=_("Status"), distinct=False)
    fault_level = filters.MultipleChoiceFilter(choices=FaultLevel.choices, label=_("Fault level"), distinct=False)
    channel = filters.ChoiceFilter(choices=Channel.choices, label=_("Channel"))
    organization = IdFilter(field_name="organization_id", label=_("Organisation"))
    assignee = IdFilter(field_name="assignee_id", label=_("Assignee"))
    group = IdFilter(field_name="group_id", label=_("Support group"))
    ci = IdFilter(field_name="ci_id", label=_("Configuration item"))
    contact = IdFilter(field_name="contact_id", label=_("Contact"))
    unassigned = StrictBooleanFilter(field_name="assignee", lookup_expr="isnull", label=_("Unassigned"))
    reported_after = UtcDateTimeFilter(field_name="reported_at", lookup_expr="gte", label=_("Reported from"))
    reported_before = UtcDateTimeFilter(field_name="reported_at", lookup_expr="lt", label=_("Reported before"))
    month = MonthFilter(field_name="reported_at", label=_("Month (YYYY-MM)"))
    reported_in = filters.ChoiceFilter(
        choices=[("today", _("Today")), ("week", _("This week")), ("month", _("This month"))],
        method="filter_reported_in", label=_("Reported in"),
        help_text=_("Relative to now on the local calendar (weeks start on Monday), so a saved filter stays current."),
    )
    sla = filters.ChoiceFilter(
        choices=[("breached", _("Breached")), ("at_risk", _("At risk"))], method="filter_sla", label=_("SLA"),
        help_text=_("breached: a target is overdue; at_risk: a warning threshold has passed, not yet breached."),
    )

    class Meta:
        model = Incident
        fields: list[str] = []

    def filter_q(self, queryset: QuerySet[Incident], name: str, value: str) -> QuerySet[Incident]:
        return incident_text_search(queryset, value)

    def filter_reported_in(self, queryset: QuerySet[Incident], name: str, value: str) -> QuerySet[Incident]:
        if not value:
            return queryset
        today = timezone.localdate()
        start = {"today": today, "week": today - timedelta(days=today.weekday()), "month": today.replace(day=1)}[value]
        return queryset.filter(reported_at__gte=datetime.combine(start, time.min, timezone.get_current_timezone()))

    def filter_sla(self, queryset: QuerySet[Incident], name: str, value: str) -> QuerySet[Incident]:
        # The SLA engine owns what "breached" and "at risk" mean.
        return sla_filter(queryset, value) if value else queryset

    @property
    def qs(self) -> Any:
        return super().qs


_API_FORM_CLASSES: dict[type, type] = {}


class IncidentApiFilterSet(IncidentFilterSet):
    """IncidentFilterSet for the API (issue 19): the same filters, with its validation form class
    built once per process instead of once per request (django-filter rebuilds it, with a form
    field per filter, for every list request). The filters' fields depend on nothing of the request."""

    def get_form_class(self) -> Any:
        form = _API_FORM_CLASSES.get(type(self))
        if form is None:
            form = _API_FORM_CLASSES[type(self)] = super().get_form_class()
        return form

    # Filters whose SQL depends on nothing but their values and the current time zone: not on the
    # user (mine, my_group), the clock (reported_in, sla) or the words (q). A list filtered by these
    # alone can keep its compiled statement under its parameters (IncidentViewSet.list).
    STATIC_FILTERS = frozenset({
        "status", "fault_level", "channel", "organization", "assignee", "group", "ci", "contact", "unassigned",
        "reported_after", "reported_before", "month",
    })

    @classmethod
    def for_params(cls, keys: Iterable[str]) -> type[IncidentApiFilterSet] | None:
        """This FilterSet with only the filters the query string names (a parameter counts when its
        name starts with a filter's: range widgets add suffixes), or None when it names none. A filter
        whose parameter is absent validates and filters nothing, so leaving it out changes no result
        and no error; django-filter deep-copies every filter, and the form every field, per request."""
        names = tuple(name for name in cls.base_filters if any(key.startswith(name) for key in keys))
        return _narrowed(cls, names) if names else None


_NARROWED: dict[tuple[type, tuple[str, ...]], Any] = {}


def _narrowed(cls: type[IncidentApiFilterSet], names: tuple[str, ...]) -> type[IncidentApiFilterSet]:
    key = (cls, names)
    narrowed: Any = _NARROWED.get(key)
    if narrowed is None:
        if len(_NARROWED) > 1024:  # combinations of filter names: bounded by what clients send
            _NARROWED.clear()
        narrowed = type(cls.__name__, (cls,), {"__module__": cls.__module__, "__qualname__": cls.__qualname__})
        narrowed.base_filters = {name: cls.base_filters[name] for name in names}
        _NARROWED[key] = narrowed
    return narrowed  # type: ignore[no-any-return]
