"""E-mail header values built from user text (a ticket title, an organisation's name).

Django refuses a header containing CR or LF (header injection) by raising ValueError; a title typed
with a line break must still give a sendable mail, so every subject passes through `header_text`."""

from __future__ import annotations

import re
from typing import Any

SUBJECT_MAX_CHARS = 200
_BREAKS = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+")


def header_text(value: Any, *, limit: int = SUBJECT_MAX_CHARS) -> str:
    """One line of text for a mail header: line breaks and control characters become one space."""
    return " ".join(_BREAKS.sub(" ", str(value)).split())[:limit]
