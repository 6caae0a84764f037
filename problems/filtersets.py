"""One FilterSet for problems, shared by the API and the staff list page."""

from __future__ import annotations

import re
from typing import Any

import django_filters as filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from opsdesk.filters import IdFilter, StrictBooleanFilter
from tickets.filtersets import WorkFilterSet

from .choices import KNOWN_ERROR_PREFIX, ProblemPriority, ProblemStatus
from .models import Problem
from .search import search_queryset

NUMBER_RE = re.compile(r"^\s*(PRB|KE)-(\d{1,12})\s*$", re.IGNORECASE)
# Field weights of the SQLite search, as the PostgreSQL vector weighs them (A 1.0, B 0.4, C 0.2).
SEARCH_FIELDS = {"number": 1.0, "title": 1.0, "workaround": 0.4, "root_cause": 0.4, "description": 0.2}


def problem_text_search(queryset: QuerySet[Problem], value: str, *, mode: str = "all",
                        min_hits: int = 1) -> QuerySet[Problem]:
    """A PRB-/KE- number finds that problem; anything else is a full-text search (Chinese
    included, see problems/search.py), annotated with `search_rank`."""
    value = (value or "").strip()
    if not value:
        return queryset
    number = NUMBER_RE.match(value)
    if number:
        prefix, digits = number.group(1).upper(), number.group(2)
        found = queryset.filter(number=f"{Problem.NUMBER_PREFIX}-{digits}")
        return found.filter(known_error=True) if prefix == KNOWN_ERROR_PREFIX else found
    return search_queryset(queryset, value[:500], fields=SEARCH_FIELDS, mode=mode, min_hits=min_hits)


class ProblemFilterSet(WorkFilterSet):
    q = filters.CharFilter(method="filter_q", label=_("Search"), max_length=500,
                           help_text=_("PRB-/KE- number, or words (Chinese included): every word must occur."))
    status = filters.MultipleChoiceFilter(choices=ProblemStatus.choices, label=_("Status"), distinct=False)
    priority = filters.MultipleChoiceFilter(choices=ProblemPriority.choices, label=_("Priority"), distinct=False)
    known_error = StrictBooleanFilter(field_name="known_error", label=_("Known error"))
    organization = IdFilter(field_name="organization_id", label=_("Organisation"))
    ci = IdFilter(field_name="ci_id", label=_("Configuration item"))
    assignee = IdFilter(field_name="assignee_id", label=_("Assignee"))
    incident = IdFilter(method="filter_incident", label=_("Linked incident"))

    class Meta:
        model = Problem
        fields: list[str] = []

    def filter_q(self, queryset: QuerySet[Problem], name: str, value: str) -> QuerySet[Problem]:
        return problem_text_search(queryset, value)

    def filter_incident(self, queryset: QuerySet[Problem], name: str, value: Any) -> QuerySet[Problem]:
        if value is None:
            return queryset
        return queryset.filter(links__incident_id=int(value), links__unlinked_at__isnull=True)

    @property
    def qs(self) -> Any:
        return super().qs
