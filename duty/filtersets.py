"""One FilterSet for the roster's entries (API; the roster page reads the same rules)."""

from __future__ import annotations

from datetime import datetime

import django_filters as filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from opsdesk.filters import IdFilter, UtcDateTimeFilter

from .choices import DutyRole, RuleKind, RuleStatus
from .models import DutyRule


class DutyRuleFilterSet(filters.FilterSet):
    group = IdFilter(field_name="group_id", label=_("Support group"))
    region = filters.CharFilter(field_name="group__region", label=_("Region"), max_length=100)
    kind = filters.MultipleChoiceFilter(choices=RuleKind.choices, label=_("Kind"), distinct=False)
    role = filters.ChoiceFilter(choices=DutyRole.choices, label=_("Duty role"))
    status = filters.ChoiceFilter(choices=RuleStatus.choices, label=_("Status"))
    person = IdFilter(field_name="members__user_id", label=_("Person"), distinct=True)
    organization = IdFilter(field_name="organization_id", label=_("Organisation"))
    ends_after = UtcDateTimeFilter(method="filter_ends_after", label=_("In force after"))
    starts_before = UtcDateTimeFilter(field_name="starts_at", lookup_expr="lt", label=_("Starts before"))

    class Meta:
        model = DutyRule
        fields: list[str] = []

    def filter_ends_after(self, queryset: QuerySet[DutyRule], name: str, value: datetime | None) -> QuerySet[DutyRule]:
        return queryset.filter(Q(ends_at__isnull=True) | Q(ends_at__gt=value)) if value else queryset
