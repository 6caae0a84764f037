"""Who reads a message, in which language and time zone (issue #12): every notification and e-mail
is written in its recipient's language (`User.language`; zh-hans for someone without an account)
and the organisation's time zone (`Organization.time_zone`; Asia/Shanghai by default), with human
dates — decided when the text is made for that reader, never by the worker's own settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.utils import formats, timezone, translation

DEFAULT_LANGUAGE = "zh-hans"
# A human date and 24-hour time per language: 2026年12月6日 07:30 / 6 Dec 2026, 07:30.
HUMAN_DATETIME = {"zh-hans": "Y年n月j日 H:i"}
HUMAN_DATETIME_DEFAULT = "j M Y, H:i"


def reader_language(user: Any = None) -> str:
    """A user's preferred language; the product's default (zh-hans) for anyone without one."""
    language = getattr(user, "language", "") if user is not None else ""
    known = {code for code, _name in settings.LANGUAGES}
    return language if language in known else DEFAULT_LANGUAGE


def zone(name: str | None) -> ZoneInfo:
    """A time zone by name; the site's (TIME_ZONE) for an empty or unknown one."""
    try:
        return ZoneInfo(name or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def organization_zone(organization: Any = None) -> str | None:
    return getattr(organization, "time_zone", None) if organization is not None else None


@contextmanager
def reading_as(*, user: Any = None, language: str | None = None, time_zone: str | None = None) -> Iterator[None]:
    """Translate and show times as this reader would read them (inside: gettext, localtime, human_datetime)."""
    with translation.override(language or reader_language(user)), timezone.override(zone(time_zone)):
        yield


def human_datetime(value: datetime | None) -> str:
    """`value` as a person reads it, in the active language and time zone: 2026年12月6日 07:30."""
    if value is None:
        return "–"
    if timezone.is_naive(value):
        value = timezone.make_aware(value, ZoneInfo("UTC"))
    pattern = HUMAN_DATETIME.get(translation.get_language() or "", HUMAN_DATETIME_DEFAULT)
    return formats.date_format(timezone.localtime(value), pattern)
