"""Bulk writes for the CI import on PostgreSQL: one INSERT/UPDATE … FROM jsonb_to_recordset per
5,000 rows. Django's bulk_create spends most of its time preparing values field by field and its
bulk_update builds a CASE per column whose cost grows with the batch squared; here the rows go
as one JSON document and PostgreSQL types them. Other databases use Django's bulk methods."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Model

BATCH = 5000


def _json_value(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def bulk_insert(model: type[Model], objs: list[Any], *, batch_size: int = 1000) -> None:
    """Insert new rows, setting their primary keys (taken from the table's sequence first)."""
    if not objs:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objs, batch_size=batch_size)
        return
    table = model._meta.db_table
    fields = model._meta.concrete_fields
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                       [table, len(objs)])
        for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
            obj.pk = pk
            for field in fields:  # auto_now / auto_now_add, as save() would
                if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                    field.pre_save(obj, add=True)
        columns = ", ".join(f'"{f.column}"' for f in fields)
        record = ", ".join(f'"{f.column}" {f.db_type(connection)}' for f in fields)
        sql = f"INSERT INTO {table} ({columns}) SELECT {columns} FROM jsonb_to_recordset(%s::jsonb) AS v({record})"
        for start in range(0, len(objs), BATCH):
            rows = [{f.column: _json_value(getattr(obj, f.attname)) for f in fields} for obj in objs[start:start + BATCH]]
            cursor.execute(sql, [json.dumps(rows, ensure_ascii=False)])


def bulk_update(model: type[Model], objs: list[Any], field_names: list[str]) -> None:
    """Write `field_names` of existing rows."""
    if not objs:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_update(objs, field_names, batch_size=500)
        return
    fields = [model._meta.get_field(name) for name in field_names]
    table = model._meta.db_table
    assignments = ", ".join(f'"{f.column}" = v."{f.column}"' for f in fields)  # type: ignore[union-attr]
    record = ", ".join(f'"{f.column}" {f.db_type(connection)}' for f in fields)  # type: ignore[union-attr]
    sql = f"UPDATE {table} AS t SET {assignments} FROM jsonb_to_recordset(%s::jsonb) AS v(id bigint, {record}) " \
          "WHERE t.id = v.id"
    with connection.cursor() as cursor:
        for start in range(0, len(objs), BATCH):
            rows = [{"id": obj.pk, **{f.column: _json_value(getattr(obj, f.attname)) for f in fields}}  # type: ignore[union-attr]
                    for obj in objs[start:start + BATCH]]
            cursor.execute(sql, [json.dumps(rows, ensure_ascii=False)])
