"""The signed single-use link e-mailed to the customer's contact to approve or reject a change
without logging in. The same pattern as the quality app's rating links (quality/links.py): a
salted, timestamped HMAC over (approval id, nonce of the approval's link row); the approval step's
link row (`tickets.Approver` without an account) holds the nonce and the single-use stamp, and the
link expires LINK_LIFETIME after the request, so a link cannot be forged and, once used or expired,
opens nothing."""

from __future__ import annotations

from datetime import timedelta

from django.core import signing

LINK_LIFETIME = timedelta(days=7)
SALT = "opsdesk.changes.customer-approval-link"


class LinkInvalid(Exception):
    """A signed link that cannot be used; `reason` is "invalid", "expired" or "used"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def approval_token(*, pk: int, nonce: str) -> str:
    return signing.TimestampSigner(salt=SALT).sign_object([pk, nonce])


def approval_token_parse(token: str) -> tuple[int, str]:
    """The (approval id, nonce) a token names. Tampered or foreign tokens are "invalid"; very old
    ones "expired" (the row's own expiry is checked against `now` by the caller)."""
    try:
        value = signing.TimestampSigner(salt=SALT).unsign_object(token, max_age=LINK_LIFETIME * 2)
    except signing.SignatureExpired:
        raise LinkInvalid("expired") from None
    except (signing.BadSignature, ValueError, TypeError, UnicodeDecodeError):
        raise LinkInvalid("invalid") from None
    if (not isinstance(value, list) or len(value) != 2 or not isinstance(value[0], int)
            or isinstance(value[0], bool) or not isinstance(value[1], str)):
        raise LinkInvalid("invalid")
    return value[0], value[1]
