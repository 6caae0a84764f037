"""Filters shared by every app's FilterSet."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import django_filters as filters
from django import forms
from django_filters.fields import IsoDateTimeField
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError
from rest_framework.fields import BooleanField, CharField

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


class RawNullBooleanSelect(forms.NullBooleanSelect):
    """Renders like Django's yes/no/unknown select, but hands the field the raw query value, so that
    the field (not the widget, which reads anything unknown as "no filter") decides."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        return data.get(name)


class StrictNullBooleanField(forms.NullBooleanField):
    """`true`/`false` (also `1`/`0`, `True`/`False`); empty or the form's `unknown` means no filter.
    Anything else (`?unread=maybe`) is a field error, as the schema (a boolean) says, instead of
    Django's reading it as "no filter"."""

    widget = RawNullBooleanSelect
    TRUE = (True, "True", "true", "1")
    FALSE = (False, "False", "false", "0")

    def to_python(self, value: object) -> bool | None:  # type: ignore[override]
        if value in (None, "", "unknown"):
            return None
        if value in self.TRUE:
            return True
        if value in self.FALSE:
            return False
        raise forms.ValidationError(BooleanField.default_error_messages["invalid"], code="invalid")


class StrictBooleanFilter(filters.BooleanFilter):
    field_class = StrictNullBooleanField


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend for the API, with one difference: a filter that is present but empty
    (`?planned_before=`) is refused, as the schema says (an empty string is not a date, a number, a
    boolean or one of the choices), instead of being read as absent. Text filters take "" as given.
    The web pages use the same FilterSets through their forms, where empty fields mean "any"."""

    def filter_queryset(self, request: Any, queryset: Any, view: Any) -> Any:
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            blank = {name: [CharField.default_error_messages["blank"]]
                     for name, spec in filterset_class.base_filters.items()
                     if not isinstance(spec, filters.CharFilter) and "" in request.query_params.getlist(name)}
            if blank:
                raise ValidationError(blank)
        return super().filter_queryset(request, queryset, view)


def query_bool(params: Any, name: str, default: bool | None = None) -> bool | None:
    """A yes/no query parameter read like the boolean filters: absent → `default`; `true`/`false`
    (`1`/`0`) → the value; anything else is a 400 naming the parameter (the schema says boolean)."""
    if name not in params:
        return default
    try:
        value = StrictNullBooleanField().clean(params.get(name))
    except forms.ValidationError as exc:
        raise ValidationError({name: list(exc.messages)}) from None
    return default if value is None else value
