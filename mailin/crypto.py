"""Mailbox passwords encrypted at rest with Fernet (AES-128-CBC + HMAC-SHA256, `cryptography`).

The key never lives in the database: it is derived from the MAILIN_KEY setting (environment) or,
when that is unset, from SECRET_KEY. Keys derived from SECRET_KEY_FALLBACKS (and MAILIN_OLD_KEYS)
still decrypt, so rotating SECRET_KEY does not lose the stored passwords (save the mailbox again to
re-encrypt it under the new key)."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

_CONTEXT = b"opsdesk-mailin-password-v1:"


def _fernet(secret: str) -> Fernet:
    digest = hashlib.sha256(_CONTEXT + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _secrets() -> list[str]:
    primary = getattr(settings, "MAILIN_KEY", "") or settings.SECRET_KEY
    old = [*getattr(settings, "MAILIN_OLD_KEYS", []), *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    if getattr(settings, "MAILIN_KEY", ""):
        old.append(settings.SECRET_KEY)
    return [primary, *[s for s in old if s and s != primary]]


def password_encrypt(plain: str) -> str:
    return _fernet(_secrets()[0]).encrypt(plain.encode()).decode()


def password_decrypt(token: str) -> str:
    """The plain password; "" for an empty token. Raises ValueError when no known key opens it."""
    if not token:
        return ""
    try:
        return MultiFernet([_fernet(s) for s in _secrets()]).decrypt(token.encode()).decode()
    except InvalidToken:
        raise ValueError("The mailbox password cannot be decrypted with the current keys (MAILIN_KEY / SECRET_KEY).") from None
