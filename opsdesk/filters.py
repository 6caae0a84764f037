"""Filters shared by every app's FilterSet."""

from __future__ import annotations

from datetime import UTC, datetime

import django_filters as filters
from django import forms
from django_filters.fields import IsoDateTimeField
from drf_spectacular.utils import extend_schema_field

BIGINT_MAX = 2**63 - 1


class IdField(forms.IntegerField):
    """A row id in a query string: a whole number within the database's bigint range, so that
    `?organization=2.5e27` is a field error (400), never an overflow in the database (500)."""

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", BIGINT_MAX)
        super().__init__(**kwargs)  # type: ignore[arg-type]


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": BIGINT_MAX})
class IdFilter(filters.NumberFilter):
    field_class = IdField


class UtcDateTimeField(IsoDateTimeField):
    """An ISO 8601 instant, normalised to UTC: Python accepts offsets PostgreSQL refuses
    (e.g. +17:36), and an instant near year 1 can fall off the calendar when converted."""

    def to_python(self, value: object) -> datetime | None:
        parsed = super().to_python(value)
        if parsed is None:
            return None
        try:
            return parsed.astimezone(UTC)
        except (OverflowError, ValueError):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class UtcDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField
