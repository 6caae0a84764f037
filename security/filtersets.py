"""FilterSets shared by the API and the staff pages of the security follow-up."""

from __future__ import annotations

from typing import Any

import django_filters as filters
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opsdesk.filters import IdFilter, StrictBooleanFilter

from .choices import FindingStatus, Scanner, Severity
from .models import AntivirusStatus, Finding


class FindingFilterSet(filters.FilterSet):
    q = filters.CharFilter(method="filter_q", label=_("Search"))
    organization = IdFilter(field_name="organization_id", label=_("Organisation"))
    ci = IdFilter(field_name="ci_id", label=_("CI"))
    status = filters.MultipleChoiceFilter(choices=FindingStatus.choices, label=_("Status"), distinct=False)
    severity = filters.MultipleChoiceFilter(choices=Severity.choices, label=_("Severity"), distinct=False)
    scanner = filters.ChoiceFilter(choices=Scanner.choices, label=_("Scanner"))
    cve = filters.CharFilter(field_name="cves", lookup_expr="icontains", label=_("CVE"))
    overdue = StrictBooleanFilter(method="filter_overdue", label=_("Overdue"))
    not_seen = StrictBooleanFilter(field_name="not_seen_at", lookup_expr="isnull", exclude=True,
                                   label=_("Not seen in the latest full scan"))

    class Meta:
        model = Finding
        fields: list[str] = []

    def filter_q(self, queryset: QuerySet[Finding], name: str, value: str) -> QuerySet[Finding]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(cves__icontains=value) | Q(vuln_id__icontains=value)
                               | Q(ci__name__icontains=value))

    def filter_overdue(self, queryset: QuerySet[Finding], name: str, value: bool | None) -> QuerySet[Finding]:
        if value is None:
            return queryset
        late = Q(status=FindingStatus.OPEN, due_on__lt=timezone.localdate())
        return queryset.filter(late) if value else queryset.exclude(late)


class AntivirusFilterSet(filters.FilterSet):
    organization = IdFilter(field_name="ci__organization_id", label=_("Organisation"))
    flagged = StrictBooleanFilter(method="filter_flagged", label=_("Flagged"))

    class Meta:
        model = AntivirusStatus
        fields: list[str] = []

    def filter_flagged(self, queryset: QuerySet[AntivirusStatus], name: str, value: Any) -> QuerySet[AntivirusStatus]:
        if value is None:
            return queryset
        from .selectors import flagged_q

        q = flagged_q(today=timezone.localdate())
        return queryset.filter(q) if value else queryset.exclude(q)
