"""One FilterSet for changes, shared by the API and the staff list page."""

from __future__ import annotations

import django_filters as filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from opsdesk.filters import IdFilter, UtcDateTimeFilter
from tickets.filtersets import MonthFilter, WorkFilterSet

from .choices import ChangeRisk, ChangeStatus, ChangeType
from .models import Change


class ChangeFilterSet(WorkFilterSet):
    q = filters.CharFilter(method="filter_q", label=_("Search"))
    status = filters.MultipleChoiceFilter(choices=ChangeStatus.choices, label=_("Status"), distinct=False)
    type = filters.MultipleChoiceFilter(choices=ChangeType.choices, label=_("Type"), distinct=False)
    risk = filters.MultipleChoiceFilter(choices=ChangeRisk.choices, label=_("Risk"), distinct=False)
    organization = IdFilter(field_name="organization_id", label=_("Organisation"))
    assignee = IdFilter(field_name="assignee_id", label=_("Owner"))
    requester = IdFilter(field_name="requester_id", label=_("Requester"))
    cab = IdFilter(field_name="cab_id", label=_("CAB"))
    ci = IdFilter(method="filter_ci", label=_("Configuration item"))
    planned_after = UtcDateTimeFilter(field_name="planned_end", lookup_expr="gt", label=_("Planned window ends after"))
    planned_before = UtcDateTimeFilter(field_name="planned_start", lookup_expr="lt",
                                       label=_("Planned window starts before"))
    month = MonthFilter(field_name="reported_at", label=_("Month (YYYY-MM)"))

    class Meta:
        model = Change
        fields: list[str] = []

    def filter_q(self, queryset: QuerySet[Change], name: str, value: str) -> QuerySet[Change]:
        value = value.strip()
        if not value:
            return queryset
        if value.upper().startswith("CHG-"):
            return queryset.filter(number=value.upper())
        return queryset.filter(Q(title__icontains=value) | Q(description__icontains=value)
                               | Q(reason__icontains=value))

    def filter_ci(self, queryset: QuerySet[Change], name: str, value: int | None) -> QuerySet[Change]:
        if value is None:
            return queryset
        # A semi-join keeps one row per change without DISTINCT.
        return queryset.filter(pk__in=Change.cis.through.objects.filter(ci_id=value).values("change_id"))
