"""When a document is due for update (the rule the selectors and the FilterSet share).

A document is *due for update* when a change touching one of its CIs was implemented after the
document's latest version (or after the document was filed, if it has no version yet); it is
*overdue* once DOCUMENT_UPDATE_DAYS (default 3) have passed since that change without a new
version. Below both the FilterSet and the selectors, so neither imports the other late."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import BooleanField, DateTimeField, ExpressionWrapper, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from changes.models import Change

from .choices import DocumentStatus
from .models import Document


def update_window() -> timedelta:
    return timedelta(days=int(getattr(settings, "DOCUMENT_UPDATE_DAYS", 3)))


def triggering_changes() -> QuerySet[Change]:
    """Implemented (not backed-out) changes on one of the outer document's CIs, after its baseline."""
    return Change.objects.filter(
        cis__documents=OuterRef("pk"), implemented_at__isnull=False, backed_out_at__isnull=True,
        implemented_at__gt=OuterRef("update_baseline"),
    )


def with_update_due(qs: QuerySet[Document], *, now: datetime) -> QuerySet[Document]:
    """Annotate `due_since` (the first change implemented after the latest version), `due_change_id`
    and `due_change_number`, `update_due_by` and `update_overdue` (only active documents can be due)."""
    if "due_since" in qs.query.annotations:
        return qs
    first = triggering_changes().order_by("implemented_at", "id")
    window = update_window()
    return (
        qs.annotate(update_baseline=Coalesce(F("latest_version_at"), F("created_at")))
        .annotate(
            due_since=Subquery(first.values("implemented_at")[:1], output_field=DateTimeField()),
            due_change_id=Subquery(first.values("id")[:1]),
            due_change_number=Subquery(first.values("number")[:1]),
        )
        .annotate(
            update_due_by=ExpressionWrapper(F("due_since") + Value(window), output_field=DateTimeField()),
            update_overdue=ExpressionWrapper(Q(status=DocumentStatus.ACTIVE, due_since__lt=now - window),
                                             output_field=BooleanField()),
        )
    )
