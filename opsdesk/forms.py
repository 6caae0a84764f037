"""Form fields shared by the project's forms.

`JSONField`: Django's form JSONField, except that input nested too deeply is a field error. Django
catches only `JSONDecodeError`: a few thousand nested brackets make `json.loads` raise RecursionError,
a 500 on submit (and again when the form is shown back). Even input that parses can be deep enough to
overflow the stack when it is saved or validated later, so a depth limit applies too: the JSON the
project stores in configuration (attribute definitions, thresholds, recipients, working weeks) is a
few levels deep. The Django admin's forms get it through `JSON_FORMFIELD_OVERRIDES`
(ModelAdmin.formfield_overrides) on every admin that edits a model JSONField."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.fields import InvalidJSONInput
from django.utils.translation import gettext_lazy as _

MAX_JSON_DEPTH = 32


def json_depth_exceeds(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether lists/objects in `value` nest deeper than `limit` (iterative: no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class JSONField(forms.JSONField):
    default_error_messages = {
        "too_deep": _("The JSON is nested too deeply (at most %(max)s levels)."),
    }

    def to_python(self, value: Any) -> Any:
        try:
            converted = super().to_python(value)
        except RecursionError:
            raise ValidationError(self.error_messages["too_deep"], code="too_deep",
                                  params={"max": MAX_JSON_DEPTH}) from None
        if json_depth_exceeds(converted):
            raise ValidationError(self.error_messages["too_deep"], code="too_deep", params={"max": MAX_JSON_DEPTH})
        return converted

    def bound_data(self, data: Any, initial: Any) -> Any:
        try:
            bound = super().bound_data(data, initial)
        except RecursionError:
            return InvalidJSONInput(data)
        if not self.disabled and json_depth_exceeds(bound):
            return InvalidJSONInput(data)  # shown back as typed, with the field error
        return bound

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            return super().has_changed(initial, data)
        except (RecursionError, ValidationError):
            return True


# ModelAdmin.formfield_overrides for admins that edit a model JSONField.
JSON_FORMFIELD_OVERRIDES: dict[type[models.Field[Any, Any]], dict[str, Any]] = {
    models.JSONField: {"form_class": JSONField},
}
