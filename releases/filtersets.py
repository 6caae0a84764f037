"""One FilterSet for releases, shared by the API and the release list page."""

from __future__ import annotations

import django_filters as filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from opsdesk.filters import IdFilter, UtcDateTimeFilter

from .choices import ReleaseStatus
from .models import Release, ReleaseChange


class ReleaseFilterSet(filters.FilterSet):
    q = filters.CharFilter(method="filter_q", label=_("Search"))
    status = filters.MultipleChoiceFilter(choices=ReleaseStatus.choices, label=_("Status"), distinct=False)
    organization = IdFilter(field_name="organization_id", label=_("Organisation"))
    change = IdFilter(method="filter_change", label=_("Change"), help_text=_("Releases that hold this change."))
    planned_after = UtcDateTimeFilter(field_name="planned_end", lookup_expr="gt",
                                      label=_("Planned window ends after"))
    planned_before = UtcDateTimeFilter(field_name="planned_start", lookup_expr="lt",
                                       label=_("Planned window starts before"))

    class Meta:
        model = Release
        fields: list[str] = []

    def filter_q(self, queryset: QuerySet[Release], name: str, value: str) -> QuerySet[Release]:
        value = value.strip()
        if not value:
            return queryset
        if value.upper().startswith("REL-"):
            return queryset.filter(number=value.upper())
        return queryset.filter(Q(title__icontains=value) | Q(release_version__icontains=value)
                               | Q(description__icontains=value))

    def filter_change(self, queryset: QuerySet[Release], name: str, value: int | None) -> QuerySet[Release]:
        if value is None:
            return queryset
        return queryset.filter(pk__in=ReleaseChange.objects.filter(change_id=value).values("release_id"))
