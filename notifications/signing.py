"""Request signatures for the chat robots and the Aliyun SMS gateway. Pure functions: no I/O,
no clock (the caller passes timestamps and nonces), so they are tested against fixed vectors."""

from __future__ import annotations

import base64
import hmac
from collections.abc import Mapping
from urllib.parse import quote


def _hmac_b64(key: bytes, message: bytes, digest: str) -> str:
    return base64.b64encode(hmac.new(key, message, digest).digest()).decode("ascii")


def dingtalk_sign(*, timestamp_ms: int, secret: str) -> str:
    """DingTalk custom robot "加签": Base64(HmacSHA256(key=secret, msg=f"{timestamp}\\n{secret}")).
    The value still has to be URL-encoded when put in the query (see `dingtalk_signed_url`)."""
    return _hmac_b64(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), "sha256")


def dingtalk_signed_url(*, webhook_url: str, timestamp_ms: int, secret: str) -> str:
    """The robot's webhook URL with `timestamp` (milliseconds) and the URL-encoded `sign` appended."""
    sign = quote(dingtalk_sign(timestamp_ms=timestamp_ms, secret=secret), safe="")
    separator = "&" if "?" in webhook_url else "?"
    return f"{webhook_url}{separator}timestamp={timestamp_ms}&sign={sign}"


def feishu_sign(*, timestamp: int, secret: str) -> str:
    """Feishu custom robot signature: the *key* is f"{timestamp}\\n{secret}" (seconds) and the
    message is empty: Base64(HmacSHA256(key, b""))."""
    return _hmac_b64(f"{timestamp}\n{secret}".encode(), b"", "sha256")


def aliyun_percent_encode(value: str) -> str:
    """RFC 3986 encoding as Aliyun's POP signature wants it: only A-Z a-z 0-9 - _ . ~ stay as
    they are, space is %20 (never +), `*` is %2A, UTF-8 bytes become %XY."""
    return quote(value, safe="~")


def aliyun_canonical_query(params: Mapping[str, str]) -> str:
    """Parameters sorted by name (byte order), names and values percent-encoded, joined with &."""
    return "&".join(
        f"{aliyun_percent_encode(k)}={aliyun_percent_encode(v)}" for k, v in sorted(params.items())
        if k != "Signature"
    )


def aliyun_string_to_sign(params: Mapping[str, str], *, method: str = "GET") -> str:
    return f"{method}&{aliyun_percent_encode('/')}&{aliyun_percent_encode(aliyun_canonical_query(params))}"


def aliyun_rpc_signature(params: Mapping[str, str], *, access_key_secret: str, method: str = "GET") -> str:
    """Aliyun RPC signature v1 (SignatureMethod=HMAC-SHA1, SignatureVersion=1.0):
    Base64(HMAC-SHA1(key=secret + "&", StringToSign))."""
    key = f"{access_key_secret}&".encode()
    return _hmac_b64(key, aliyun_string_to_sign(params, method=method).encode(), "sha1")


def aliyun_signed_query(params: Mapping[str, str], *, access_key_secret: str) -> str:
    """The complete GET query string: `Signature=...` first, then the canonical parameters."""
    signature = aliyun_rpc_signature(params, access_key_secret=access_key_secret)
    return f"Signature={aliyun_percent_encode(signature)}&{aliyun_canonical_query(params)}"
