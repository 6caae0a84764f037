"""FilterSet for configuration items, shared by the API, the CMDB list page and the exports."""

from __future__ import annotations

from typing import Any

import django_filters as filters
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from opsdesk.filters import IdFilter, StrictBooleanFilter
from opsdesk.widgets import IsoDateInput

from .choices import CIStatus, RelationType
from .life import add_months, with_life_end
from .models import CI, CIClass, CIRelation


@extend_schema_field({"type": "string", "minLength": 1})
class CodeMultipleChoiceFilter(filters.ModelMultipleChoiceFilter):
    """Repeatable `?ci_class=<code>`: documented as the class code (a slug), not a database id."""


class CIFilterSet(filters.FilterSet):
    q = filters.CharFilter(method="filter_q", label=_("Search"))
    organization = IdFilter(field_name="organization_id", label=_("Organisation"))
    ci_class = CodeMultipleChoiceFilter(
        field_name="ci_class__code", to_field_name="code", queryset=CIClass.objects.all(), label=_("Class (code)"),
    )
    status = filters.MultipleChoiceFilter(choices=CIStatus.choices, label=_("Status"), distinct=False)
    serial = filters.CharFilter(field_name="serial", lookup_expr="iexact", label=_("Serial number"))
    asset_tag = filters.CharFilter(field_name="asset_tag", lookup_expr="iexact", label=_("Asset tag"))
    vendor = filters.CharFilter(field_name="vendor", lookup_expr="icontains", label=_("Vendor"))
    site = filters.CharFilter(field_name="site", lookup_expr="icontains", label=_("Site"))
    contract = IdFilter(field_name="contract_id", label=_("Maintenance contract"))
    warranty_end_before = filters.DateFilter(field_name="warranty_end", lookup_expr="lte",
                                             label=_("Warranty ends on or before"), widget=IsoDateInput())
    warranty_end_after = filters.DateFilter(field_name="warranty_end", lookup_expr="gte",
                                            label=_("Warranty ends on or after"), widget=IsoDateInput())
    eol_within_months = filters.NumberFilter(
        method="filter_eol_within", label=_("End of life within (months)"), min_value=0, max_value=600,
        help_text=_("CIs whose end of life has passed or falls within this many months from today."))

    class Meta:
        model = CI
        fields: list[str] = []

    def filter_eol_within(self, queryset: QuerySet[CI], name: str, value: Any) -> QuerySet[CI]:
        if value is None:
            return queryset
        limit = add_months(timezone.localdate(), int(value))
        return with_life_end(queryset).filter(life_end_on__isnull=False, life_end_on__lte=limit)

    def filter_q(self, queryset: QuerySet[CI], name: str, value: str) -> QuerySet[CI]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value) | Q(serial__icontains=value) | Q(location__icontains=value)
            | Q(vendor__icontains=value) | Q(model__icontains=value) | Q(asset_tag__icontains=value)
        )


class CIRelationFilterSet(filters.FilterSet):
    ci = IdFilter(method="filter_ci", label=_("Either end (CI id)"))
    source = IdFilter(field_name="source_id", label=_("From (CI id)"))
    target = IdFilter(field_name="target_id", label=_("To (CI id)"))
    type = filters.MultipleChoiceFilter(choices=RelationType.choices, label=_("Type"), distinct=False)
    active = StrictBooleanFilter(field_name="active", label=_("Active"))

    class Meta:
        model = CIRelation
        fields: list[str] = []

    def filter_ci(self, queryset: QuerySet[CIRelation], name: str, value: int) -> QuerySet[CIRelation]:
        return queryset.filter(Q(source_id=value) | Q(target_id=value))
