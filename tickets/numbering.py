"""Ticket numbers (INC-000123, REQ-…): unique and never reused, even when a transaction rolls
back. PostgreSQL sequences on PostgreSQL (no lock between writers); a counter row elsewhere."""

from __future__ import annotations

from django.db import IntegrityError, connection, connections, transaction
from django.db.models import Model

from .models import NumberCounter


def sequence_name(prefix: str) -> str:
    return f"ticket_number_{prefix.lower()}"


# Sequences this process has made sure of, per database: checked once, then trusted.
_ensured: set[tuple[str, str]] = set()


def ensure_sequence(prefix: str) -> None:
    """Create the prefix's sequence once, committed on a connection of its own: created inside the
    first ticket's transaction, a rollback would drop it and hand the same numbers out again, and
    two first allocations at once would collide on the catalog. (No existence check on the ticket's
    own connection: PostgreSQL would cache the miss and not see the sequence created meanwhile.)"""
    if connection.vendor != "postgresql":
        return
    key = (str(connection.settings_dict["NAME"]), prefix)
    if key in _ensured:
        return
    # Same database as `connection` (its settings_dict, not settings.DATABASES: test runs rename it).
    wrapper = connections[connection.alias]
    side_settings = dict(wrapper.settings_dict)
    # A one-off connection: never a second psycopg pool.
    side_settings["OPTIONS"] = {k: v for k, v in side_settings.get("OPTIONS", {}).items() if k != "pool"}
    side = type(wrapper)(side_settings, wrapper.alias)
    try:
        with side.cursor() as cursor:
            try:
                cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {sequence_name(prefix)}")
            except IntegrityError:
                pass  # a concurrent first allocation created it a moment ago
    finally:
        side.close()
    _ensured.add(key)


def format_number(prefix: str, value: int) -> str:
    return f"{prefix}-{value:06d}"


def allocate_numbers(prefix: str, count: int = 1) -> list[str]:
    """Reserve `count` consecutive-or-not, never-reused numbers for `prefix`."""
    if count < 1:
        return []
    if connection.vendor == "postgresql":
        ensure_sequence(prefix)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT nextval('{sequence_name(prefix)}') FROM generate_series(1, %s)", [count],
            )
            values = [row[0] for row in cursor.fetchall()]
    else:
        with transaction.atomic():
            NumberCounter.objects.get_or_create(prefix=prefix)
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE tickets_numbercounter SET value = value + %s WHERE prefix = %s RETURNING value",
                    [count, prefix],
                )
                last = cursor.fetchone()[0]
            values = list(range(last - count + 1, last + 1))
    return [format_number(prefix, v) for v in values]


def next_number(prefix: str) -> str:
    return allocate_numbers(prefix, 1)[0]


def next_number_and_id(prefix: str, model: type[Model]) -> tuple[str, int | None]:
    """`next_number(prefix)` and, on PostgreSQL, the next id of `model`'s table from its own sequence,
    in one statement: a ticket whose id is known before its row is written can be inserted with its
    first audit event's head (tickets.audit.ticket_insert_created) instead of updated after. Elsewhere
    the id is None (the database assigns it on insert)."""
    if connection.vendor != "postgresql":
        return next_number(prefix), None
    ensure_sequence(prefix)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT nextval('{sequence_name(prefix)}'), nextval(pg_get_serial_sequence(%s, %s))",
                       [connection.ops.quote_name(model._meta.db_table), model._meta.pk.column])
        value, pk = cursor.fetchone()
    return format_number(prefix, value), pk
