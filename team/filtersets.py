"""FilterSets of the team app, shared by the API and the pages."""

from __future__ import annotations

from typing import Any

import django_filters as filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from opsdesk.filters import IdFilter, StrictBooleanFilter, UtcDateTimeFilter

from .choices import LeaveStatus, LeaveType, ScorecardStatus
from .models import LeaveRequest, Scorecard


class LeaveFilterSet(filters.FilterSet):
    status = filters.MultipleChoiceFilter(choices=LeaveStatus.choices, label=_("Status"), distinct=False)
    leave_type = filters.ChoiceFilter(choices=LeaveType.choices, label=_("Leave type"))
    engineer = IdFilter(field_name="engineer_id", label=_("Engineer"))
    organization = IdFilter(field_name="organization_id", label=_("Organisation"))
    mine = StrictBooleanFilter(method="filter_mine", label=_("My own leave"))
    starts_after = UtcDateTimeFilter(field_name="starts_at", lookup_expr="gte", label=_("Starts from"))
    starts_before = UtcDateTimeFilter(field_name="starts_at", lookup_expr="lt", label=_("Starts before"))

    class Meta:
        model = LeaveRequest
        fields: list[str] = []

    def filter_mine(self, queryset: QuerySet[LeaveRequest], name: str, value: bool | None) -> QuerySet[LeaveRequest]:
        user: Any = getattr(self.request, "user", None)
        return queryset.filter(engineer_id=getattr(user, "pk", None)) if value else queryset


class ScorecardFilterSet(filters.FilterSet):
    month = filters.DateFilter(field_name="month", label=_("Month (first day)"))
    user = IdFilter(field_name="user_id", label=_("Engineer"))
    status = filters.ChoiceFilter(choices=ScorecardStatus.choices, label=_("Status"))

    class Meta:
        model = Scorecard
        fields: list[str] = []
