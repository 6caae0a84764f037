"""The reporting replica: reports, dashboards and exports read from a streaming standby of the primary
when DATABASE_REPLICA_URL is set (settings: the "replica" alias), everything else from the primary.

- Reads go to the replica only inside `reporting_reads()` (the report, dashboard and export code opens
  it around its queries); all other reads, and every write, use the primary ("default").
- Inside a transaction, or after anything in the same request wrote (ReplicaPinMiddleware tracks that),
  reads stay on the primary, so a person never misses what they just did.
- A replica lags a little: pages, PDFs and exports that read it say "data as of <time>", the replica's
  last replayed transaction (`reporting_as_of()`, pg_last_xact_replay_timestamp()).
- Fallback: a replica that does not answer, or lags more than REPLICA_MAX_LAG_SECONDS, is not used; its
  health is checked at most every REPLICA_HEALTH_SECONDS per process (one short query), and a
  connection error while reading it marks it down at once. Reporting reads then go to the primary (live
  data, no "data as of"), and a warning is logged each time the state changes.
- Migrations run on the primary only; in tests the alias is a TEST mirror of the default database."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import HttpRequest, HttpResponse

REPLICA_DB_ALIAS = "replica"

_reporting: ContextVar[bool] = ContextVar("opsdesk_reporting_reads", default=False)
# Per request: a one-item list set to True by the first write (None outside requests: tasks, commands).
_wrote: ContextVar[list[bool] | None] = ContextVar("opsdesk_request_wrote", default=None)


logger = logging.getLogger(__name__)

# How far behind the primary the replica is, in seconds: 0 when it has replayed all it received (an idle
# primary sends nothing, so the last replayed commit may be old without any lag) or is not a standby.
LAG_SQL = """
SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN 0
    WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0
    ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0)
END"""


class _Health:
    """Per process: is the replica usable, and when was that last checked (time.monotonic())."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.checked = float("-inf")
        self.usable = True
        self.reason = ""

    def set(self, usable: bool, reason: str = "") -> None:
        with self.lock:
            if usable != self.usable:
                if usable:
                    logger.warning("reporting replica usable again: reporting reads go to the replica")
                else:
                    logger.warning("reporting replica not used (%s): reporting reads go to the primary", reason)
            self.usable, self.reason, self.checked = usable, reason, time.monotonic()


_health = _Health()


def replica_configured() -> bool:
    return REPLICA_DB_ALIAS in settings.DATABASES


def replica_lag_seconds() -> float:
    """The replica's lag (LAG_SQL); raises DatabaseError when it does not answer."""
    with connections[REPLICA_DB_ALIAS].cursor() as cursor:
        cursor.execute(LAG_SQL)
        return float(cursor.fetchone()[0] or 0)


def replica_check() -> bool:
    """Ask the replica now (one query) and remember the answer: usable when it answers and its lag is at
    most REPLICA_MAX_LAG_SECONDS."""
    try:
        lag = replica_lag_seconds()
    except DatabaseError as exc:
        connections[REPLICA_DB_ALIAS].close()  # a fresh connection next time
        _health.set(False, f"it does not answer: {exc.__class__.__name__}: {str(exc).strip()[:200]}")
        return False
    limit = settings.REPLICA_MAX_LAG_SECONDS
    if lag > limit:
        _health.set(False, f"it lags {lag:.0f} s, more than REPLICA_MAX_LAG_SECONDS={limit}")
        return False
    _health.set(True)
    return True


def replica_usable() -> bool:
    """The remembered answer, re-checked when older than REPLICA_HEALTH_SECONDS."""
    if time.monotonic() - _health.checked >= settings.REPLICA_HEALTH_SECONDS:
        return replica_check()
    return _health.usable


def replica_mark_down(reason: str) -> None:
    """A read on the replica failed: use the primary until the next health check says otherwise."""
    connections[REPLICA_DB_ALIAS].close()
    _health.set(False, reason)


def reporting_alias() -> str:
    """The database reporting reads use right now: the replica, unless there is none, it is down or lags
    too much, a transaction is open on the primary, or this request already wrote."""
    if not replica_configured() or connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    wrote = _wrote.get()
    if wrote is not None and wrote[0]:
        return DEFAULT_DB_ALIAS
    if not replica_usable():
        return DEFAULT_DB_ALIAS
    return REPLICA_DB_ALIAS


@contextmanager
def reporting_reads() -> Iterator[str]:
    """Route the reads inside to the reporting database (see the module); yields the alias in use. A
    database error on the replica inside marks it down, so the next reporting read uses the primary
    (this one still fails: its rows were half read)."""
    token = _reporting.set(True)
    alias = reporting_alias()
    try:
        yield alias
    except DatabaseError as exc:
        if alias == REPLICA_DB_ALIAS and replica_configured():
            replica_mark_down(f"a read failed: {exc.__class__.__name__}")
        raise
    finally:
        _reporting.reset(token)


def reporting_as_of() -> datetime | None:
    """When reporting reads use the replica: the commit time of the last transaction it replayed (what
    the page shows as "data as of"). None when they read the primary (live data)."""
    if reporting_alias() != REPLICA_DB_ALIAS:
        return None
    try:
        with connections[REPLICA_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_xact_replay_timestamp() END")
            row = cursor.fetchone()
    except DatabaseError as exc:
        replica_mark_down(f"a read failed: {exc.__class__.__name__}")
        return None
    return row[0] if row else None


class ReplicaRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str:
        return reporting_alias() if _reporting.get() else DEFAULT_DB_ALIAS

    def db_for_write(self, model: Any, **hints: Any) -> str:
        wrote = _wrote.get()
        if wrote is not None:
            wrote[0] = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # one database, two copies

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS


class ReplicaPinMiddleware:
    """Marks the start and end of a request, so reads after a write in it stay on the primary."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _wrote.set([False])
        try:
            return self.get_response(request)
        finally:
            _wrote.reset(token)
