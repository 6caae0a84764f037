"""DRF's `serializers` module with the project's strict bases: every serializer of the API imports
`from opsdesk import serializers` instead of `from rest_framework import serializers`, and gets
`Serializer` and `ModelSerializer` that refuse a JSON value of the wrong type.

DRF is lenient on purpose (it was built for HTML forms, where everything is text): a JSON `0` is
accepted as the text `"0"`, `1` / `"true"` / `"yes"` as a boolean, `"5"` as an integer, `1` as the
choice `"1"`. The OpenAPI schema promises types (`type: string`, `boolean`, `integer`), clients are
written against it, and schemathesis checks that schema-invalid input is refused. So for JSON bodies
the type must match: a wrong type is a 400 with the field's own (translated) DRF message, e.g.
`{"public": ["Must be a valid boolean."]}`.

Form and multipart bodies (the upload endpoints) arrive as a `QueryDict`, where every value is text:
they keep DRF's conversions, as do query-parameter serializers. Everything else DRF checks (lengths,
ranges, formats, choices) is unchanged; this only adds the type check in front of it, in one place
for declared fields and model-mapped fields alike."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django.db.models import Model
from django.http import QueryDict
from rest_framework import relations
from rest_framework import serializers as drf
from rest_framework.exceptions import ValidationError
from rest_framework.fields import empty
from rest_framework.serializers import *  # noqa: F403  (this module stands in for DRF's)

_IN = TypeVar("_IN")
_MT = TypeVar("_MT", bound=Model)


def is_json_input(data: Any) -> bool:
    """Whether `data` came from a JSON body (or an object nested in one): DRF's form and multipart
    parsers, and `request.query_params`, give a QueryDict instead."""
    return not isinstance(data, QueryDict)


def _is_int(value: Any) -> bool:
    # JSON Schema's `integer` includes 5.0 (a number with no fraction); bool is not a number in JSON.
    return (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, float) and value.is_integer())


def _choice_type_ok(field: drf.ChoiceField, value: Any) -> bool:
    keys = list(field.choices)
    if keys and all(_is_int(key) for key in keys):
        return _is_int(value)
    return isinstance(value, str)


def type_errors(field: drf.Field[Any, Any, Any, Any], value: Any) -> Any:
    """The field's own error detail when a JSON `value` has the wrong type for it, else None.
    Nested serializers check themselves; free-form fields (JSONField, DictField values of any
    type, custom fields) take anything and do their own checks."""
    try:
        _type_check(field, value)
    except ValidationError as exc:
        return exc.detail
    return None


def _type_check(field: Any, value: Any) -> None:
    if value is None or isinstance(field, drf.BaseSerializer | drf.JSONField | drf.HiddenField):
        return  # None: DRF's allow_null handles it; nested serializers run their own check
    if isinstance(field, drf.BooleanField):
        if not isinstance(value, bool):
            field.fail("invalid")
    elif isinstance(field, drf.MultipleChoiceField):
        if not isinstance(value, list):
            field.fail("not_a_list", input_type=type(value).__name__)
        for item in value:
            if not _choice_type_ok(field, item):
                field.fail("invalid_choice", input=item)
    elif isinstance(field, drf.ChoiceField):  # before CharField: FilePathField is a ChoiceField
        if not _choice_type_ok(field, value):
            field.fail("invalid_choice", input=value)
    elif isinstance(field, drf.CharField | drf.UUIDField | relations.SlugRelatedField):
        if not isinstance(value, str):
            field.fail("invalid")
    elif isinstance(field, drf.DurationField):
        if not isinstance(value, str):
            field.fail("invalid", format="[DD] [HH:[MM:]]ss[.uuuuuu]")
    elif isinstance(field, drf.IntegerField):
        if not _is_int(value):
            field.fail("invalid")
    elif isinstance(field, drf.FloatField):
        if isinstance(value, bool) or not isinstance(value, int | float):
            field.fail("invalid")
    elif isinstance(field, relations.PrimaryKeyRelatedField):
        if field.pk_field is None and not _is_int(value):
            field.fail("incorrect_type", data_type=type(value).__name__)
    elif isinstance(field, relations.ManyRelatedField):
        if not isinstance(value, list):
            field.fail("not_a_list", input_type=type(value).__name__)
        _items_check(field.child_relation, value)
    elif isinstance(field, drf.ListField):
        if not isinstance(value, list):
            field.fail("not_a_list", input_type=type(value).__name__)
        _items_check(field.child, value)
    elif isinstance(field, drf.DictField):
        if not isinstance(value, Mapping):
            field.fail("not_a_dict", input_type=type(value).__name__)
        errors = {key: detail for key, item in value.items() if (detail := type_errors(field.child, item))}
        if errors:
            raise ValidationError(errors)


def _items_check(child: Any, items: list[Any]) -> None:
    errors = {index: detail for index, item in enumerate(items) if (detail := type_errors(child, item))}
    if errors:
        raise ValidationError(errors)


class StrictJSONInput:
    """Refuse JSON values of the wrong type before DRF converts them (see the module docstring)."""

    def to_internal_value(self, data: Any) -> Any:
        if is_json_input(data) and isinstance(data, Mapping):
            errors: dict[str, Any] = {}
            for field in self._writable_fields:  # type: ignore[attr-defined]
                value = field.get_value(data)
                if value is empty:
                    continue
                detail = type_errors(field, value)
                if detail is not None:
                    errors[field.field_name] = detail
            if errors:
                raise ValidationError(errors)
        return super().to_internal_value(data)  # type: ignore[misc]


class Serializer(StrictJSONInput, drf.Serializer[_IN]):
    pass


class ModelSerializer(StrictJSONInput, drf.ModelSerializer[_MT]):
    pass


class HyperlinkedModelSerializer(StrictJSONInput, drf.HyperlinkedModelSerializer[_MT]):
    pass


class ScopedRelatedField(relations.PrimaryKeyRelatedField):  # type: ignore[type-arg]
    """A primary key among the rows `scope(user=...)` lets the requesting user see (a selector such as
    contact_list): the queryset is built when the field reads a value, not for every serializer made
    (issue 19: a create built three querysets for fields it was seldom sent). Unknown or invisible
    keys get DRF's own "does not exist" message. Without a request (schema generation) there are none."""

    def __init__(self, *, scope: Callable[..., Any], model: type[Model], **kwargs: Any) -> None:
        self.scope = scope
        super().__init__(queryset=model._default_manager.none(), **kwargs)

    def get_queryset(self) -> Any:
        request = self.context.get("request")
        if request is None:
            return super().get_queryset()
        return self.scope(user=request.user)
