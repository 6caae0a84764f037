"""The reporting replica: reports, dashboards and exports read from a streaming standby of the primary
when DATABASE_REPLICA_URL is set (settings: the "replica" alias), everything else from the primary.

- Reads go to the replica only inside `reporting_reads()` (the report, dashboard and export code opens
  it around its queries); all other reads, and every write, use the primary ("default").
- Inside a transaction, or after anything in the same request wrote (ReplicaPinMiddleware tracks that),
  reads stay on the primary, so a person never misses what they just did.
- A replica lags a little: pages that read it say "data as of <time>", the replica's last replayed
  transaction (`reporting_as_of()`, pg_last_xact_replay_timestamp()).
- Migrations run on the primary only; in tests the alias is a TEST mirror of the default database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse

REPLICA_DB_ALIAS = "replica"

_reporting: ContextVar[bool] = ContextVar("opsdesk_reporting_reads", default=False)
# Per request: a one-item list set to True by the first write (None outside requests: tasks, commands).
_wrote: ContextVar[list[bool] | None] = ContextVar("opsdesk_request_wrote", default=None)


def replica_configured() -> bool:
    return REPLICA_DB_ALIAS in settings.DATABASES


def reporting_alias() -> str:
    """The database reporting reads use right now: the replica, unless there is none, a transaction is
    open on the primary, or this request already wrote."""
    if not replica_configured() or connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    wrote = _wrote.get()
    if wrote is not None and wrote[0]:
        return DEFAULT_DB_ALIAS
    return REPLICA_DB_ALIAS


@contextmanager
def reporting_reads() -> Iterator[str]:
    """Route the reads inside to the reporting database (see the module); yields the alias in use."""
    token = _reporting.set(True)
    try:
        yield reporting_alias()
    finally:
        _reporting.reset(token)


def reporting_as_of() -> datetime | None:
    """When reporting reads use the replica: the commit time of the last transaction it replayed (what
    the page shows as "data as of"). None when they read the primary (live data)."""
    if reporting_alias() != REPLICA_DB_ALIAS:
        return None
    with connections[REPLICA_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_xact_replay_timestamp() END")
        row = cursor.fetchone()
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
