"""Argument summaries for failed tasks: short, and with anything that looks like a secret masked
(keys named like password/token/secret/key/authorization, and URLs' user:password parts)."""

from __future__ import annotations

import re
from typing import Any

SECRET_NAME = re.compile(r"pass|secret|token|key|auth|cookie|credential|signature|otp", re.IGNORECASE)
URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/@\s:]+:[^/@\s]+@", re.IGNORECASE)
MASK = "***"
MAX_SUMMARY = 1000


def _scrub(value: Any, depth: int = 0) -> Any:
    if depth > 5:
        return "…"
    if isinstance(value, dict):
        return {str(k): (MASK if SECRET_NAME.search(str(k)) else _scrub(v, depth + 1)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrub(v, depth + 1) for v in list(value)[:20]]
    if isinstance(value, str):
        text = URL_CREDENTIALS.sub(lambda m: f"{m.group('scheme')}{MASK}@", value)
        return text if len(text) <= 200 else text[:200] + "…"
    if value is None or isinstance(value, (int, float, bool)):
        return value
    return f"<{type(value).__name__}>"


def args_summary(args: Any, kwargs: Any) -> str:
    """`args` and `kwargs` as one short line, secrets masked."""
    parts = [repr(_scrub(a)) for a in list(args or [])]
    parts += [f"{k}={MASK if SECRET_NAME.search(str(k)) else repr(_scrub(v))}" for k, v in dict(kwargs or {}).items()]
    text = ", ".join(parts)
    return text if len(text) <= MAX_SUMMARY else text[:MAX_SUMMARY] + "…"


def scrub_text(text: str) -> str:
    """Credentials in URLs inside free text (exception messages, tracebacks) masked."""
    return URL_CREDENTIALS.sub(lambda m: f"{m.group('scheme')}{MASK}@", text)
