"""Database sessions, read by one prepared statement (issue 19).

Each page view loads its session: Django's database backend builds and compiles
`Session.objects.get(session_key=..., expire_date__gt=now)` for each (~0.5 ms of Python). On
PostgreSQL this store runs the same SELECT as a fixed statement, prepared per connection
(opsdesk.statements.prepared); the rest — saving, expiry, cycling keys, clearing — is Django's. Other
databases take Django's path. A cache-backed store (cached_db) would need a cache shared by every
worker, or a logout in one would not reach the others: the process-local cache is not one."""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone

from opsdesk.statements import prepared


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Any:
        model = self.model
        connection = connections[router.db_for_read(model)]
        if connection.vendor != "postgresql" or self.session_key is None:
            return super()._get_session_from_db()
        table = connection.ops.quote_name(model._meta.db_table)
        with prepared(connection), connection.cursor() as cursor:
            cursor.execute(f"SELECT session_data, expire_date FROM {table}"  # noqa: S608 - the model's own table
                           " WHERE session_key = %s AND expire_date > %s", [self.session_key, timezone.now()])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None  # as Django's store: the key was unknown or expired
            return None
        return model(session_key=self.session_key, session_data=row[0], expire_date=row[1])
