"""Messages rendered for their reader, not for the worker that queued them.

A notification's title and body travel (task message, delivery payload) as a *message*: a msgid and
its parameters, JSON-safe. They become text only when a delivery is made for one recipient, in that
recipient's language (`User.language`) and the organisation's time zone (`Organization.time_zone`,
Asia/Shanghai by default), under `translation.override` + `timezone.override`. So a Celery worker
running in English with UTC never decides what a Chinese dispatcher reads.

    msg(gettext_noop("%(number)s: %(target)s target breached"), number="INC-1", target=term("Restore"),
        due=when(due_at))

Parameters: plain values; `when(datetime)` (a human date and time in the reader's zone and
language); `term(msgid, context)` (a word translated in the reader's language, e.g. a target's label).
Every msgid must also appear in the code with gettext_noop (or gettext_lazy) so makemessages finds it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.utils import translation
from django.utils.translation import gettext, pgettext

from accounts.locale import human_datetime, reader_language, reading_as

__all__ = ["choice_msgid", "is_message", "msg", "reader_language", "render", "term", "when"]


def msg(msgid: str, **params: Any) -> dict[str, Any]:
    """A message to render later: `msgid % params` in the reader's language."""
    return {"msgid": str(msgid), "params": params}


def when(value: datetime | None) -> dict[str, Any] | str:
    """A point in time, shown in the reader's time zone as a human date."""
    return {"dt": value.isoformat()} if value is not None else ""


def term(msgid: str, context: str = "") -> dict[str, Any]:
    """A word or label translated in the reader's language (a choice's label, a reason code)."""
    return {"t": str(msgid), "ctx": context}


def choice_msgid(label: Any) -> str:
    """The untranslated text of a (lazy) choice label: its msgid."""
    with translation.override(None):
        return str(label)


def is_message(value: Any) -> bool:
    return isinstance(value, Mapping) and "msgid" in value


def _param(value: Any) -> Any:
    if isinstance(value, Mapping):
        if "dt" in value:
            return human_datetime(datetime.fromisoformat(str(value["dt"])))
        if "t" in value:
            return pgettext(str(value["ctx"]), str(value["t"])) if value.get("ctx") else gettext(str(value["t"]))
        if "msgid" in value:
            return _text(value)
    return value


def _text(message: Mapping[str, Any]) -> str:
    text = gettext(str(message["msgid"]))
    params = {key: _param(value) for key, value in dict(message.get("params") or {}).items()}
    try:
        return text % params if params else text
    except (KeyError, TypeError, ValueError):  # a catalog entry that lost a placeholder: say it in the source language
        return str(message["msgid"]) % params


def render(value: Any, *, language: str, time_zone: str | None = None) -> str:
    """A message (or plain text, returned as it is) as one reader reads it."""
    if not is_message(value):
        return "" if value is None else str(value)
    with reading_as(language=language, time_zone=time_zone):
        return _text(value)
