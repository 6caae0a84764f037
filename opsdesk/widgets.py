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
