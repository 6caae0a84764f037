"""One FilterSet for incidents, shared by the API and the operator list page."""

from __future__ import annotations

from typing import Any

import django_filters as filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from opsdesk.filters import IdFilter, StrictBooleanFilter, UtcDateTimeFilter
from tickets.choices import Channel
from tickets.filtersets import MonthFilter

from .choices import FaultLevel, IncidentStatus
from .models import Incident


class IncidentFilterSet(filters.FilterSet):
    q = filters.CharFilter(method="filter_q", label=_("Search"))
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
    sla = filters.ChoiceFilter(
        choices=[("breached", _("Breached")), ("at_risk", _("At risk"))], method="filter_sla", label=_("SLA"),
        help_text=_("breached: a target is overdue; at_risk: a warning threshold has passed, not yet breached."),
    )

    class Meta:
        model = Incident
        fields: list[str] = []

    def filter_q(self, queryset: QuerySet[Incident], name: str, value: str) -> QuerySet[Incident]:
        value = value.strip()
        if not value:
            return queryset
        if value.upper().startswith("INC-"):
            return queryset.filter(number=value.upper())
        return queryset.filter(Q(title__icontains=value) | Q(description__icontains=value))

    def filter_sla(self, queryset: QuerySet[Incident], name: str, value: str) -> QuerySet[Incident]:
        # The SLA engine owns what "breached" and "at risk" mean (selectors import this module).
        from .selectors import incident_sla_filter  # noqa: PLC0415

        return incident_sla_filter(queryset, value) if value else queryset

    @property
    def qs(self) -> Any:
        return super().qs
