"""A version counter in the shared Django cache (Redis in production) that tells every process to
drop a per-process cache: the writer bumps it, each reader compares it with the value it last saw.
Used by the SLA configuration (tickets/sla_config.py) and the API token lookup (accounts/token_cache.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def cache_version(key: str) -> Any:
    """The counter's value, 0 when unset; None when the shared cache cannot be read (the caller then
    reads the database and caches nothing)."""
    from django.core.cache import cache

    try:
        return cache.get(key, 0)
    except Exception:  # noqa: BLE001 - a cache outage must not stop requests: callers read the database
        return None


def cache_version_bump(key: str, clear_local: Callable[[], None]) -> None:
    """Something the per-process caches hold changed: clear this process's cache and bump the counter,
    now and again when the transaction commits (a reader in between may have cached the old rows)."""
    from django.core.cache import cache
    from django.db import transaction

    def bump() -> None:
        clear_local()
        try:
            cache.incr(key)
        except ValueError:  # no counter yet
            cache.set(key, 1, timeout=None)
        except Exception:  # noqa: BLE001, S110 - the callers' entries still expire after their time limit
            pass

    bump()
    transaction.on_commit(bump)
