"""FilterSet for configuration items, shared by the API and the CMDB list page."""

from __future__ import annotations

import django_filters as filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from opsdesk.filters import IdFilter

from .choices import CIStatus
from .models import CI, CIClass


@extend_schema_field(OpenApiTypes.STR)
class CodeMultipleChoiceFilter(filters.ModelMultipleChoiceFilter):
    """Repeatable `?ci_class=<code>`: documented as the class code (a slug), not a database id."""


class CIFilterSet(filters.FilterSet):
    q = filters.CharFilter(method="filter_q", label=_("Search"))
    organization = IdFilter(field_name="organization_id", label=_("Organisation"))
    ci_class = CodeMultipleChoiceFilter(
        field_name="ci_class__code", to_field_name="code", queryset=CIClass.objects.all(), label=_("Class (code)"),
    )
    status = filters.MultipleChoiceFilter(choices=CIStatus.choices, label=_("Status"), distinct=False)

    class Meta:
        model = CI
        fields: list[str] = []

    def filter_q(self, queryset: QuerySet[CI], name: str, value: str) -> QuerySet[CI]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value) | Q(serial__icontains=value) | Q(location__icontains=value)
            | Q(vendor__icontains=value) | Q(model__icontains=value)
        )
