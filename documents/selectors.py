"""Permission-scoped reads of the document library. Every one starts from `visible_to(user)`.

A document is *due for update* when a change touching one of its CIs was implemented after the
document's latest version (or after the document was filed, if it has no version yet); it is
*overdue* once DOCUMENT_UPDATE_DAYS (default 3, the service plan's "within 3 days") have passed
since that change without a new version. Both are computed in SQL with correlated subqueries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import (
    BooleanField,
    DateTimeField,
    ExpressionWrapper,
    F,
    Min,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404

from cmdb.models import CI

from .choices import DocumentStatus
from .filtersets import DocumentFilterSet
from .models import Document, DocumentEvent, DocumentVersion
from .update_due import triggering_changes, update_window, with_update_due

LIST_RELATED = ("organization",)


def document_base(*, user: Any) -> QuerySet[Document]:
    return Document.objects.visible_to(user)


def document_list(*, user: Any, filters: Any = None, now: datetime | None = None) -> QuerySet[Document]:
    """Visible documents; with `filters`, through the FilterSet the API and the page share (its
    `update` filter needs `now`)."""
    qs = document_base(user=user).select_related(*LIST_RELATED)
    if filters:
        fs = DocumentFilterSet(filters, queryset=qs, request=None)
        fs.now = now  # type: ignore[attr-defined]
        if not fs.is_valid():
            raise ValidationError(fs.errors)
        qs = fs.qs
    return qs


def document_get(*, user: Any, pk: Any) -> Document:
    try:
        return document_base(user=user).select_related("organization", "created_by").get(pk=int(pk))
    except (Document.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None


def document_update_due_list(*, user: Any, now: datetime, overdue_only: bool = False) -> QuerySet[Document]:
    """Active documents waiting for a new version after a change on their CIs, longest waiting
    first. Staff only (customers: nothing). One aggregate over the joins (document → CIs →
    implemented changes) instead of a correlated subquery per document, so the whole library is
    not probed row by row to sort it; the triggering change's id/number are looked up for the page."""
    if user.is_customer and not user.is_superuser:
        return Document.objects.none()
    window = update_window()
    baseline = Coalesce(F("latest_version_at"), F("created_at"))
    touching = Q(cis__changes__implemented_at__gt=baseline, cis__changes__backed_out_at__isnull=True)
    due = (
        document_base(user=user).filter(status=DocumentStatus.ACTIVE)
        .annotate(update_baseline=baseline, due_since=Min("cis__changes__implemented_at", filter=touching))
        .filter(Q(due_since__isnull=False))
    )
    if overdue_only:
        due = due.filter(Q(due_since__lt=now - window))
    first = triggering_changes().order_by("implemented_at", "id")
    return (
        due.annotate(
            due_change_id=Subquery(first.values("id")[:1]),
            due_change_number=Subquery(first.values("number")[:1]),
            update_due_by=ExpressionWrapper(F("due_since") + Value(window), output_field=DateTimeField()),
            update_overdue=ExpressionWrapper(Q(due_since__lt=now - window), output_field=BooleanField()),
        )
        .select_related(*LIST_RELATED)
        .order_by(F("due_since").asc(), "id")
    )


def document_version_list(*, user: Any, document: Document) -> QuerySet[DocumentVersion]:
    """Every version of a visible document, newest first."""
    return DocumentVersion.objects.filter(document=document).select_related("uploaded_by").order_by("-number")


def document_version_get(*, user: Any, document: Document, number: Any) -> DocumentVersion:
    try:
        return document_version_list(user=user, document=document).get(number=int(number))
    except (DocumentVersion.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None


def document_event_list(*, user: Any, document: Document) -> QuerySet[DocumentEvent]:
    """The history is internal: for customers it does not exist."""
    if user.is_customer and not user.is_superuser:
        raise Http404
    return DocumentEvent.objects.filter(document=document).select_related("actor").order_by("seq")


def ci_documents(*, user: Any, ci: CI, now: datetime) -> QuerySet[Document]:
    """The active documents about one CI, with their update-due state."""
    return with_update_due(
        document_base(user=user).filter(cis=ci, status=DocumentStatus.ACTIVE), now=now,
    ).order_by("category", "title", "id")
