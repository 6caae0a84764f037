"""Date and time inputs that always speak ISO 8601 to the browser.

`<input type="date">` only accepts `YYYY-MM-DD` and `type="datetime-local"` only `YYYY-MM-DDTHH:MM`,
whatever the page's language; Django's default widgets format with the active locale's first input
format (`2026/12/06` in Chinese), which the browser drops — the field shows empty and, when required,
silently blocks the submit. Every date/time input of the project uses these widgets.
"""

from __future__ import annotations

from html import escape  # the same entities as django.utils.html.escape
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
    (value, label, extra attributes) in order; `empty_label`: the empty choice before them (None:
    none). Validation stays with the field's queryset: only the rendering changes. The escaped markup
    of an option list is kept while the list is (`_option_markup`): the engineers and groups come
    from the per-process picker cache, the same list on every page."""

    def __init__(self, attrs: dict[str, Any] | None = None,
                 options: list[tuple[Any, Any, dict[str, str]]] | None = None, empty_label: Any = None) -> None:
        super().__init__(attrs=attrs)
        self.preloaded = options or []
        self.empty_label = empty_label

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> Any:
        from django.forms.utils import flatatt  # noqa: PLC0415
        from django.utils.safestring import mark_safe  # noqa: PLC0415

        final = self.build_attrs(self.attrs, attrs)
        chosen = {str(v) for v in self.format_value(value)}
        parts = [f'<select name="{escape(name)}"{flatatt(final)}>']
        if self.empty_label is not None:
            parts.append(f'\n  <option value=""{" selected" if "" in chosen else ""}>'
                         f'{escape(str(self.empty_label))}</option>')
        for v, head, tail in _option_markup(self.preloaded):
            parts.append(head)
            if v in chosen:
                parts.append(" selected")
            parts.append(tail)
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308  (every value above is escaped)


_markup_cache: dict[int, tuple[list[Any], list[tuple[str, str, str]]]] = {}


def _option_markup(options: list[tuple[Any, Any, dict[str, str]]]) -> list[tuple[str, str, str]]:
    """(value, `<option …` up to where " selected" goes, the rest) per option, escaped; kept per list
    object while it lives in the cache (64 lists; the cache holds them, so an id is never reused), and
    only for plain-text labels (a lazy translation follows the request's language)."""
    hit = _markup_cache.get(id(options))
    if hit is not None and hit[0] is options:
        return hit[1]
    markup = [(str(v), f'\n  <option value="{escape(str(v))}"{_flat(extra) if extra else ""}',
               f">{escape(str(label))}</option>") for v, label, extra in options]
    if all(type(label) is str for _v, label, _extra in options):
        if len(_markup_cache) >= 64:
            _markup_cache.clear()
        _markup_cache[id(options)] = (options, markup)
    return markup


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
    field.widget = PreloadedSelect(attrs=field.widget.attrs, options=options, empty_label=field.empty_label)
