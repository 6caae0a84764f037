"""Keep secrets out of logs, attempts, the admin and the API: mask tokens in webhook URLs and
scrub known secret values from any text (vendor responses sometimes echo the request)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlsplit, urlunsplit

MASK = "***"
SECRET_QUERY_PARAMS = frozenset({"key", "access_token", "token", "sign", "signature", "accesskeyid", "secret"})
EXCERPT_MAX_BYTES = 2048
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def url_secrets(url: str) -> list[str]:
    """The secret parts of a robot webhook URL: token-like query values, and the hook id at the end of
    a path such as Feishu's /open-apis/bot/v2/hook/<id>."""
    if not url:
        return []
    parts = urlsplit(url)
    values = [v for k, v in parse_qsl(parts.query, keep_blank_values=False) if k.lower() in SECRET_QUERY_PARAMS]
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) >= 2 and segments[-2] == "hook":
        values.append(segments[-1])
    return values


def mask_url(url: str) -> str:
    """The URL with every secret part replaced by ***; scheme, host and path shape stay readable."""
    if not url:
        return ""
    parts = urlsplit(url)
    query = "&".join(
        f"{k}={MASK if k.lower() in SECRET_QUERY_PARAMS else v}" for k, v in parse_qsl(parts.query, keep_blank_values=True)
    )
    segments = parts.path.split("/")
    non_empty = [i for i, s in enumerate(segments) if s]
    if len(non_empty) >= 2 and segments[non_empty[-2]] == "hook":
        segments[non_empty[-1]] = MASK
    return urlunsplit((parts.scheme, parts.netloc, "/".join(segments), query, ""))


def scrub(text: str, secrets: Iterable[str]) -> str:
    """`text` with every known secret value replaced by ***."""
    for value in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(value, MASK)
    return text


def excerpt(text: str, secrets: Iterable[str], *, max_bytes: int = EXCERPT_MAX_BYTES) -> str:
    """A scrubbed, printable excerpt of at most `max_bytes` UTF-8 bytes."""
    clean = _CONTROL.sub("", scrub(text, secrets))
    encoded = clean.encode("utf-8")
    if len(encoded) <= max_bytes:
        return clean
    return encoded[: max_bytes - 3].decode("utf-8", errors="ignore") + "..."
