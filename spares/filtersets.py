"""FilterSets shared by the API and the store's list pages."""

from __future__ import annotations

import django_filters as filters
from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from opsdesk.filters import IdFilter, StrictBooleanFilter

from .choices import MovementKind, MovementStatus
from .models import Movement, SparePart, Stock


class SparePartFilterSet(filters.FilterSet):
    """Filters of the parts list. The queryset carries the `quantity` annotation (spare_part_list)."""

    q = filters.CharFilter(method="filter_q", label=_("Search"))
    ci_class = IdFilter(field_name="ci_class_id", label=_("CI class"))
    model = filters.CharFilter(field_name="model", lookup_expr="iexact", label=_("Model"))
    storeroom = IdFilter(method="filter_storeroom", label=_("Storeroom"))
    active = StrictBooleanFilter(field_name="is_active", label=_("Active"))
    below_reorder = StrictBooleanFilter(method="filter_below_reorder", label=_("At or below reorder level"))

    class Meta:
        model = SparePart
        fields: list[str] = []

    def filter_q(self, queryset: QuerySet[SparePart], name: str, value: str) -> QuerySet[SparePart]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(part_number__icontains=value) | Q(name__icontains=value)
                               | Q(vendor__icontains=value) | Q(model__icontains=value))

    def filter_storeroom(self, queryset: QuerySet[SparePart], name: str, value: int) -> QuerySet[SparePart]:
        return queryset.filter(stock__storeroom_id=value, stock__quantity__gt=0) if value else queryset

    def filter_below_reorder(self, queryset: QuerySet[SparePart], name: str, value: bool | None) -> QuerySet[SparePart]:
        if value is None:
            return queryset
        low = Q(reorder_level__gt=0, quantity__lte=F("reorder_level"))
        return queryset.filter(low) if value else queryset.exclude(low)


class MovementFilterSet(filters.FilterSet):
    kind = filters.MultipleChoiceFilter(choices=MovementKind.choices, label=_("Movement"), distinct=False)
    status = filters.MultipleChoiceFilter(choices=MovementStatus.choices, label=_("Status"), distinct=False)
    storeroom = IdFilter(method="filter_storeroom", label=_("Storeroom"))
    incident = IdFilter(field_name="incident_id", label=_("Incident"))
    change = IdFilter(field_name="change_id", label=_("Change"))

    class Meta:
        model = Movement
        fields: list[str] = []

    def filter_storeroom(self, queryset: QuerySet[Movement], name: str, value: int) -> QuerySet[Movement]:
        return queryset.filter(Q(from_storeroom_id=value) | Q(to_storeroom_id=value)) if value else queryset


class StockFilterSet(filters.FilterSet):
    part = IdFilter(field_name="part_id", label=_("Spare part"))
    storeroom = IdFilter(field_name="storeroom_id", label=_("Storeroom"))
    in_stock = StrictBooleanFilter(method="filter_in_stock", label=_("In stock"))

    class Meta:
        model = Stock
        fields: list[str] = []

    def filter_in_stock(self, queryset: QuerySet[Stock], name: str, value: bool | None) -> QuerySet[Stock]:
        if value is None:
            return queryset
        return queryset.filter(quantity__gt=0) if value else queryset.filter(quantity=0)
