"""API token authentication without a database read per request (issue 19).

DRF's TokenAuthentication reads the token and its user (one SELECT with a join, and two model
instances) on every request. Here the answer is kept per process, keyed by the token's key, for at
most TOKEN_CACHE_SECONDS, and dropped everywhere as soon as something that could change it is saved:

* a Token saved or deleted (revoked, regenerated; deleting a user deletes its tokens),
* a User saved or deleted (deactivated, role or organisation changed, made an auditor).

Invalidation across workers works as for the SLA configuration (tickets/sla_config.py): a version
counter in the shared Django cache (Redis in production) is bumped by those signals, now and again
on commit; every lookup reads the counter (one cache GET, no SQL) and empties the process's entries
when it moved. If the cache cannot be read, the database is asked (no caching). The time limit bounds
staleness for anything that escapes the signals (a queryset `.update()` of users: the project has
none) or a process-local cache with several workers.

Each request gets its own unpickled copy of the user, never an instance shared between requests.
Only positive answers are cached: an unknown key or an inactive user is read again every time."""

from __future__ import annotations

import pickle
import time
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions

from opsdesk.cache_version import cache_version, cache_version_bump

TOKEN_VERSION_KEY = "opsdesk:auth-token-version"
TOKEN_CACHE_SECONDS = 10.0
MAX_ENTRIES = 5000
_entries: dict[str, tuple[float, bytes]] = {}
_state: dict[str, Any] = {"version": None}


def _version() -> Any:
    return cache_version(TOKEN_VERSION_KEY)


def token_cache_invalidate(**_kwargs: Any) -> None:
    """A token or a user changed: every worker forgets its cached tokens on its next request."""
    cache_version_bump(TOKEN_VERSION_KEY, _entries.clear)


def token_cache_clear() -> None:
    _entries.clear()
    _state["version"] = None


def token_user(key: str, *, model: Any) -> tuple[Any, Any]:
    """(user, token) for an API token key, as DRF's TokenAuthentication.authenticate_credentials
    answers it (AuthenticationFailed for an unknown key or an inactive user)."""
    version = _version()
    if version is None or version != _state["version"]:
        _entries.clear()
        _state["version"] = version
    clock = time.monotonic()
    hit = _entries.get(key)
    if hit is not None and clock - hit[0] < TOKEN_CACHE_SECONDS:
        user, token = pickle.loads(hit[1])  # noqa: S301 - our own bytes, never from a client
        return user, token
    try:
        token = model.objects.select_related("user").get(key=key)
    except model.DoesNotExist:
        raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
    if not token.user.is_active:
        raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
    if version is not None:
        if len(_entries) >= MAX_ENTRIES:
            _entries.clear()
        _entries[key] = (clock, pickle.dumps((token.user, token)))
    return token.user, token


def connect_signals() -> None:
    from django.contrib.auth import get_user_model
    from django.db.models.signals import post_delete, post_save
    from rest_framework.authtoken.models import Token

    for model in (Token, get_user_model()):
        post_save.connect(token_cache_invalidate, sender=model, dispatch_uid=f"token-cache-save-{model.__name__}")
        post_delete.connect(token_cache_invalidate, sender=model,
                            dispatch_uid=f"token-cache-delete-{model.__name__}")
