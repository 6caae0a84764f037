"""One FilterSet for report runs, shared by the API list and the reports page."""

from __future__ import annotations

import django_filters as filters
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from opsdesk.filters import IdFilter, StrictBooleanFilter

from .choices import RunStatus
from .models import ReportRun


class ReportRunFilterSet(filters.FilterSet):
    kind = filters.CharFilter(field_name="kind", max_length=40, label=_("Report kind"))
    organization = IdFilter(field_name="organization_id", label=_("Organisation"))
    status = filters.ChoiceFilter(choices=RunStatus.choices, label=_("Status"))
    period = filters.CharFilter(field_name="period", max_length=20, label=_("Period"))
    published = StrictBooleanFilter(field_name="published", label=_("Published"))
    schedule = IdFilter(field_name="schedule_id", label=pgettext_lazy("report schedule", "Schedule"))

    class Meta:
        model = ReportRun
        fields: list[str] = []
