"""Saving and removing a person's named list filters."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import LIST_PATHS, SavedFilter

MAX_PER_LIST = 30
DROPPED_PARAMS = {"after", "csrfmiddlewaretoken"}


def clean_query(query: str) -> str:
    """The query string without the page cursor and empty values, in a stable order."""
    pairs = [(k, v) for k, v in parse_qsl(query or "", keep_blank_values=False) if k not in DROPPED_PARAMS]
    return urlencode(pairs)[:1000]


def saved_filter_create(*, user: Any, name: str, path: str, query: str, now: datetime) -> SavedFilter:
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Give the filter a name.")]
    elif len(name) > 80:
        errors["name"] = [_("At most 80 characters.")]
    if path not in LIST_PATHS:
        errors["path"] = [_("Filters can be saved for the incident, request, problem and change lists.")]
    if errors:
        raise ValidationError(errors)
    mine = SavedFilter.objects.filter(user_id=user.pk, path=path, is_active=True)
    if mine.count() >= MAX_PER_LIST:
        raise ValidationError({"name": [_("At most %(max)d saved filters per list.") % {"max": MAX_PER_LIST}]})
    existing = mine.filter(name=name).first()
    if existing is not None:  # the same name again replaces the query
        existing.query = clean_query(query)
        existing.save(update_fields=["query"])
        return existing
    return SavedFilter.objects.create(user=user, name=name, path=path, query=clean_query(query), created_at=now)


def saved_filter_remove(*, user: Any, filter_id: int) -> SavedFilter:
    """Take a filter off the person's list (kept, switched off). Someone else's is DoesNotExist → 404."""
    saved = SavedFilter.objects.get(pk=filter_id, user_id=user.pk, is_active=True)
    saved.is_active = False
    saved.save(update_fields=["is_active"])
    return saved
