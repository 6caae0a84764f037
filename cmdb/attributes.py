"""Class-defined CI attributes: the definitions admins write on a CI class, and the validation of a
CI's values against them. Pure functions (no database), shared by services, forms and the importer.

A definition is a dict: {"name": "ram_gb", "label": "RAM (GB)", "type": "int", "required": true,
"choices": ["a", "b"]} (choices only for type "choice"). Values are stored as JSON on the CI:
text/choice as strings, int as integers, decimal as a normalised string (no float rounding),
date as "YYYY-MM-DD", bool as true/false.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from .choices import AttributeType

NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
TRUE_WORDS = {"1", "true", "yes", "y", "on", "是", "t"}
FALSE_WORDS = {"0", "false", "no", "n", "off", "否", "f"}
MAX_TEXT = 500
MAX_INT = 2**53  # exact in JSON readers everywhere


def definitions_errors(definitions: Any) -> list[str]:
    """Messages for a malformed attribute-definition list (empty when it is fine)."""
    if not isinstance(definitions, list):
        return [_("Attribute definitions must be a list.")]
    errors: list[str] = []
    seen: set[str] = set()
    for position, item in enumerate(definitions, start=1):
        if not isinstance(item, dict):
            errors.append(_("Definition %(n)s is not an object.") % {"n": position})
            continue
        name = item.get("name")
        if not isinstance(name, str) or not NAME_RE.match(name):
            errors.append(_("Definition %(n)s: the name must be lower-case letters, digits and _ (start with a "
                            "letter, at most 40).") % {"n": position})
            continue
        if name in seen:
            errors.append(_("Attribute %(name)s is defined twice.") % {"name": name})
        seen.add(name)
        if item.get("type", AttributeType.TEXT) not in AttributeType.values:
            errors.append(_("Attribute %(name)s: unknown type.") % {"name": name})
        if item.get("type") == AttributeType.CHOICE:
            choices = item.get("choices")
            if not isinstance(choices, list) or not choices or not all(isinstance(c, str) for c in choices):
                errors.append(_("Attribute %(name)s: a choice needs a list of text choices.") % {"name": name})
        unknown = set(item) - {"name", "label", "type", "required", "choices", "help"}
        if unknown:
            errors.append(_("Attribute %(name)s: unknown keys %(keys)s.") % {"name": name,
                                                                          "keys": ", ".join(sorted(unknown))})
    return errors


def coerce(definition: dict[str, Any], raw: Any) -> Any:
    """The stored value of one attribute from what was sent (text from a form or a file, or JSON).
    Raises ValueError with a message a person can act on. Empty input gives None."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    kind = definition.get("type", AttributeType.TEXT)
    if kind == AttributeType.BOOL:
        if isinstance(raw, bool):
            return raw
        word = str(raw).strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ValueError(_("Enter yes or no."))
    if isinstance(raw, bool) or isinstance(raw, (dict, list)):
        raise ValueError(_("Enter a single value."))
    if kind == AttributeType.INT:
        try:
            number = Decimal(str(raw).strip())
        except InvalidOperation:
            raise ValueError(_("Enter a whole number.")) from None
        if not number.is_finite() or number != number.to_integral_value() or abs(number) > MAX_INT:
            raise ValueError(_("Enter a whole number."))
        return int(number)
    if kind == AttributeType.DECIMAL:
        try:
            number = Decimal(str(raw).strip())
        except InvalidOperation:
            raise ValueError(_("Enter a number.")) from None
        if not number.is_finite() or abs(number) >= Decimal(10) ** 15:
            raise ValueError(_("Enter a number."))
        return format(number.normalize(), "f")
    if kind == AttributeType.DATE:
        if isinstance(raw, date):
            return raw.isoformat()[:10]
        try:
            return date.fromisoformat(str(raw).strip()[:10]).isoformat()
        except ValueError:
            raise ValueError(_("Enter a date as YYYY-MM-DD.")) from None
    text = str(raw).strip()
    if kind == AttributeType.CHOICE:
        choices = definition.get("choices") or []
        if text not in choices:
            raise ValueError(_("Choose one of: %(choices)s.") % {"choices": ", ".join(choices)})
        return text
    if len(text) > MAX_TEXT:
        raise ValueError(_("At most %(n)s characters.") % {"n": MAX_TEXT})
    return text


def clean_values(definitions: list[dict[str, Any]], values: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """Validate a CI's attribute values against its class. Returns (stored values, errors by
    attribute name); absent/empty optional values are left out of the stored dict."""
    if values is None:
        values = {}
    if not isinstance(values, dict):
        return {}, {"": _("Attributes must be an object of name: value.")}
    by_name = {d["name"]: d for d in definitions if isinstance(d, dict) and "name" in d}
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in values:
        if name not in by_name:
            errors[str(name)[:60]] = _("This class has no attribute of that name.")
    for name, definition in by_name.items():
        try:
            value = coerce(definition, values.get(name))
        except ValueError as exc:
            errors[name] = str(exc)
            continue
        if value is None:
            if definition.get("required"):
                errors[name] = _("This attribute is required.")
            continue
        cleaned[name] = value
    return cleaned, errors


def display(definition: dict[str, Any], value: Any) -> str:
    """A stored value as a person reads it."""
    if value is None:
        return ""
    if definition.get("type") == AttributeType.BOOL:
        return _("Yes") if value else _("No")
    return str(value)
