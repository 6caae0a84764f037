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


class VersionedLocal:
    """One value computed per process and kept until the version counter `key` moves or
    `seconds` pass (the bound on staleness when a change escapes the signals that bump it).
    If the shared cache cannot be read, the value is computed every time and nothing is kept."""

    def __init__(self, key: str, seconds: float) -> None:
        self.key, self.seconds = key, seconds
        self._entries: dict[Any, tuple[Any, float, Any]] = {}

    def get(self, name: Any, compute: Callable[[], Any]) -> Any:
        import time

        version = cache_version(self.key)
        hit = self._entries.get(name)
        clock = time.monotonic()
        if version is not None and hit is not None and hit[0] == version and clock - hit[1] < self.seconds:
            return hit[2]
        value = compute()
        if version is not None:
            self._entries[name] = (version, clock, value)
        return value

    def invalidate(self, **_kwargs: Any) -> None:
        """A signal receiver: every process drops its value on its next read."""
        cache_version_bump(self.key, self._entries.clear)

    def clear(self) -> None:
        self._entries.clear()
