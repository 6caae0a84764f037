"""One-click signed links (rating, questionnaire): salted HMAC signatures with a timestamp. The
signature proves the link was made here; the row it names holds the expiry and the single-use
stamp, so a link cannot be forged, and once used or expired it opens nothing."""

from __future__ import annotations

from datetime import timedelta

from django.core import signing

LINK_LIFETIME = timedelta(days=30)
SALTS = {"rating": "opsdesk.quality.rating-link", "survey": "opsdesk.quality.survey-link"}


class LinkInvalid(Exception):
    """A signed link that cannot be used; `reason` is "invalid", "expired" or "used"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def link_token(*, kind: str, pk: int, nonce: str) -> str:
    return signing.TimestampSigner(salt=SALTS[kind]).sign_object([pk, nonce])


def link_parse(*, kind: str, token: str) -> tuple[int, str]:
    """The (row id, nonce) a token names. Tampered, foreign-salted or very old tokens are "invalid";
    the row's own expiry is checked by the caller against `now`."""
    try:
        value = signing.TimestampSigner(salt=SALTS[kind]).unsign_object(
            token, max_age=LINK_LIFETIME * 2)
    except signing.SignatureExpired:
        raise LinkInvalid("expired") from None
    except (signing.BadSignature, ValueError, TypeError, UnicodeDecodeError):
        raise LinkInvalid("invalid") from None
    if (not isinstance(value, list) or len(value) != 2 or not isinstance(value[0], int)
            or isinstance(value[0], bool) or not isinstance(value[1], str)):
        raise LinkInvalid("invalid")
    return value[0], value[1]
