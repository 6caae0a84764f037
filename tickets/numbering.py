"""Ticket numbers (INC-000123, REQ-…): unique and never reused, even when a transaction rolls
back. PostgreSQL sequences on PostgreSQL (no lock between writers); a counter row elsewhere."""

from __future__ import annotations

from django.db import connection, transaction

from .models import NumberCounter


def sequence_name(prefix: str) -> str:
    return f"ticket_number_{prefix.lower()}"


def ensure_sequence(prefix: str) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {sequence_name(prefix)}")


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
