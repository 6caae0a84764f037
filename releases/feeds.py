"""Personal calendar subscription URLs: a salted HMAC signature (django.core.signing, as the
quality app's one-click links) over the user's id and their feed key. The signature proves the URL
was made here; the key, stored per user, lets a user revoke every URL given out by rotating it.
No expiry: calendar clients poll the same URL for years."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core import signing

from .models import CalendarFeedKey

SALT = "opsdesk.releases.calendar-feed"


def feed_token(key: CalendarFeedKey) -> str:
    return signing.Signer(salt=SALT).sign_object([key.user_id, key.key])


def feed_user(token: str) -> Any | None:
    """The active user a token belongs to, or None (tampered, foreign-salted, revoked, inactive)."""
    try:
        value = signing.Signer(salt=SALT).unsign_object(token)
    except (signing.BadSignature, ValueError, TypeError, UnicodeDecodeError):
        return None
    if (not isinstance(value, list) or len(value) != 2 or not isinstance(value[0], int)
            or isinstance(value[0], bool) or not isinstance(value[1], str)):
        return None
    if not CalendarFeedKey.objects.filter(user_id=value[0], key=value[1]).exists():
        return None
    return get_user_model().objects.filter(pk=value[0], is_active=True).select_related("organization").first()
