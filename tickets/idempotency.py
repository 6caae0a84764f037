"""`Idempotency-Key` on API creates (issue #11, finding 10): a client that retries after a lost
response gets the first response again instead of a duplicate ticket.

The key row is inserted in the same transaction as the create. A concurrent retry's insert waits
on the unique index (user, key) until the first commits, then finds the finished row and replays
it; if the first rolls back, the retry goes ahead as the first attempt. Only successful responses
are kept; a key expires after settings.IDEMPOTENCY_KEY_TTL_HOURS and may then be used afresh."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .models import IdempotencyKey

MAX_KEY_LENGTH = 255


class IdempotencyKeyReused(Exception):  # noqa: N818 - named for what happened, like ConflictError
    """The key was already used by this user for a different request."""


@dataclass(frozen=True)
class IdempotencyClaim:
    record: IdempotencyKey
    replay: bool  # True: answer with record.status_code / record.response


def idempotency_key_clean(raw: str) -> str:
    key = raw.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise ValidationError({"idempotency_key": [
            _("The Idempotency-Key header must be 1 to %(max)s printable ASCII characters.") % {"max": MAX_KEY_LENGTH}]})
    return key


def request_fingerprint(*, method: str, path: str, body: Any) -> str:
    """SHA-256 of the request as the client meant it: method, path and the parsed body."""
    canonical = json.dumps({"method": method, "path": path, "body": body}, sort_keys=True, ensure_ascii=False,
                           separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def idempotency_key_claim(*, user: Any, key: str, fingerprint: str, now: datetime) -> IdempotencyClaim:
    """Claim `key` for this request, or find the finished request that claimed it. Call inside the
    transaction that does the create (the claim commits or rolls back with it)."""
    expires_at = now + timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    try:
        with transaction.atomic():
            record = IdempotencyKey.objects.create(user=user, key=key, fingerprint=fingerprint, created_at=now,
                                                   expires_at=expires_at)
        return IdempotencyClaim(record=record, replay=False)
    except IntegrityError:
        record = IdempotencyKey.objects.select_for_update().get(user=user, key=key)
    if record.expires_at <= now or record.status_code is None:
        # Expired (or left unfinished): the key starts afresh for this request.
        record.fingerprint, record.created_at, record.expires_at = fingerprint, now, expires_at
        record.status_code, record.response = None, None
        record.save(update_fields=["fingerprint", "created_at", "expires_at", "status_code", "response"])
        return IdempotencyClaim(record=record, replay=False)
    if record.fingerprint != fingerprint:
        raise IdempotencyKeyReused
    return IdempotencyClaim(record=record, replay=True)


def idempotency_key_complete(*, record: IdempotencyKey, status_code: int, response: Any) -> None:
    """Keep the response that the key will replay."""
    record.status_code, record.response = status_code, response
    record.save(update_fields=["status_code", "response"])
