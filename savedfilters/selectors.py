from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import SavedFilter


def saved_filter_list(*, user: Any, path: str | None = None) -> QuerySet[SavedFilter]:
    """The person's own active saved filters (of one list when `path` is given)."""
    if not getattr(user, "is_authenticated", False):
        return SavedFilter.objects.none()
    qs = SavedFilter.objects.filter(user_id=user.pk, is_active=True)
    return qs.filter(path=path) if path is not None else qs
