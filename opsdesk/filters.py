"""Filters shared by every app's FilterSet."""

from __future__ import annotations

import django_filters as filters
from django import forms

BIGINT_MAX = 2**63 - 1


class IdField(forms.IntegerField):
    """A row id in a query string: a whole number within the database's bigint range, so that
    `?organization=2.5e27` is a field error (400), never an overflow in the database (500)."""

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", BIGINT_MAX)
        super().__init__(**kwargs)  # type: ignore[arg-type]


class IdFilter(filters.NumberFilter):
    field_class = IdField
