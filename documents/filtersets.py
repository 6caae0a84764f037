"""One FilterSet for documents, shared by the API and the library page."""

from __future__ import annotations

import django_filters as filters
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opsdesk.filters import IdFilter, StrictBooleanFilter

from .choices import DocumentCategory, DocumentStatus
from .models import Document
from .update_due import update_window, with_update_due

UPDATE_CHOICES = [("due", _("New version due")), ("overdue", _("New version overdue"))]


class DocumentFilterSet(filters.FilterSet):
    q = filters.CharFilter(method="filter_q", label=_("Search"))
    organization = IdFilter(field_name="organization_id", label=_("Organisation"))
    category = filters.MultipleChoiceFilter(choices=DocumentCategory.choices, label=_("Category"), distinct=False)
    ci = IdFilter(field_name="cis", label=_("Configuration item"), distinct=False)
    status = filters.ChoiceFilter(choices=DocumentStatus.choices, label=_("Status"))
    published = StrictBooleanFilter(label=_("Published to the customer"))
    update = filters.ChoiceFilter(
        choices=UPDATE_CHOICES, method="filter_update", label=_("Update after a change"),
        help_text=_("due: a change on one of its CIs was implemented after the latest version; "
                    "overdue: and no new version came within DOCUMENT_UPDATE_DAYS (3) days."),
    )

    class Meta:
        model = Document
        fields: list[str] = []

    def filter_q(self, queryset: QuerySet[Document], name: str, value: str) -> QuerySet[Document]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(description__icontains=value))

    def filter_update(self, queryset: QuerySet[Document], name: str, value: str) -> QuerySet[Document]:
        if not value:
            return queryset
        now = getattr(self, "now", None) or timezone.now()
        due = with_update_due(queryset.filter(status=DocumentStatus.ACTIVE), now=now)
        due = due.filter(Q(due_since__isnull=False))
        if value == "overdue":
            due = due.filter(Q(due_since__lt=now - update_window()))
        return due
