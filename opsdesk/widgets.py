"""Date and time inputs that always speak ISO 8601 to the browser.

`<input type="date">` only accepts `YYYY-MM-DD` and `type="datetime-local"` only `YYYY-MM-DDTHH:MM`,
whatever the page's language; Django's default widgets format with the active locale's first input
format (`2026/12/06` in Chinese), which the browser drops — the field shows empty and, when required,
silently blocks the submit. Every date/time input of the project uses these widgets.
"""

from __future__ import annotations

from typing import Any

from django import forms

ISO_DATE = "%Y-%m-%d"
ISO_TIME = "%H:%M"
ISO_DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
DATETIME_INPUT_FORMATS = [ISO_DATETIME_LOCAL, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class IsoDateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format=ISO_DATE)


class IsoTimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format=ISO_TIME)


class IsoDateTimeLocalInput(forms.DateTimeInput):
    """A `datetime-local` input; the value is the wall clock of the current time zone."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format=ISO_DATETIME_LOCAL)


class PreloadedSelect(forms.Select):
    """A `<select>` whose options were read beforehand (one query for every picker of a page, issue 19)
    and are written straight out, with the same markup as Django's select templates but without a
    template render per `<option>` — a detail page carries a few thousand of them. `options`:
    (value, label, extra attributes) in order, the empty choice included. Validation stays with the
    field's queryset: only the rendering changes."""

    def __init__(self, attrs: dict[str, Any] | None = None,
                 options: list[tuple[Any, Any, dict[str, str]]] | None = None) -> None:
        super().__init__(attrs=attrs)
        self.preloaded = options or []

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> Any:
        from html import escape  # noqa: PLC0415  (the same entities as django.utils.html.escape)

        from django.forms.utils import flatatt  # noqa: PLC0415
        from django.utils.safestring import mark_safe  # noqa: PLC0415

        final = self.build_attrs(self.attrs, attrs)
        chosen = {str(v) for v in self.format_value(value)}
        parts = [f'<select name="{escape(name)}"{flatatt(final)}>']
        for v, label, extra in self.preloaded:
            v = str(v)
            parts.append(f'\n  <option value="{escape(v)}"{_flat(extra) if extra else ""}'
                         f'{" selected" if v in chosen else ""}>{escape(str(label))}</option>')
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308  (every value above is escaped)


def _flat(attrs: dict[str, Any]) -> str:
    """django.forms.utils.flatatt for an option's few plain attributes, without format_html per
    attribute (a detail page has a few hundred options with data-groups)."""
    from django.utils.html import conditional_escape  # noqa: PLC0415

    pairs, flags = [], []  # flatatt's order: valued attributes, then boolean ones, each sorted
    for key, value in sorted(attrs.items()):
        if isinstance(value, bool):
            if value:
                flags.append(f" {conditional_escape(key)}")
        elif value is not None:
            pairs.append(f' {conditional_escape(key)}="{conditional_escape(value)}"')
    return "".join(pairs) + "".join(flags)


def preload_choices(field: Any, options: list[tuple[Any, Any, dict[str, str]]]) -> None:
    """Render `field` (a ModelChoiceField) from `options` (without its empty choice, which is added
    from the field) instead of iterating its queryset."""
    if field.empty_label is not None:
        options = [("", field.empty_label, {}), *options]
    field.widget = PreloadedSelect(attrs=field.widget.attrs, options=options)
