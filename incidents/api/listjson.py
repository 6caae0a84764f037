"""Incident list pages whose rows PostgreSQL writes as JSON (issue 19).

A page of 50 incidents used to load ~800 timestamps into Python (through the backend's time-zone
loader), compute each row's SLA block and serialise it field by field, only to write JSON again. On
PostgreSQL the page is one statement instead: the list's own queryset (its selector's visibility
rules, filters, keyset and LIMIT, compiled by Django as before) wrapped in a SELECT that writes each
row's JSON — the fields of IncidentListItemSerializer in its order, the `sla` block of `sla_block`
with the row's clocks read by a lateral subquery — byte for byte what the serializer and DRF's
JSONRenderer give (tests/api/test_incident_rows.py compares them). Each value's JSON text is written
by the cheapest function that gives it (to_json for text, ::text for numbers, the ISO form below for
timestamps) and an object is one concat() of its keys and values. Python joins the rows.

Timestamps are written in SQL only in a time zone with one UTC offset (UTC, Asia/Shanghai since
1991, ...: opsdesk.jsonrows.fixed_zone); the offset comes from Python's own zone data, so PostgreSQL's
copy of the zone database plays no part. Rows that need Python go through the serializer as before:
a clock paused on business hours (its time left is measured on the organisation's calendar), or a
timestamp from before the zone's offset became fixed. In a zone with daylight saving time, on other
databases, or with a serializer field the SQL does not know, the whole page takes the Python path."""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from typing import Any

from django.db import connections, router
from django.db.models import CharField as ModelCharField
from django.db.models import DateTimeField, IntegerField, TextField
from django.db.models import ForeignKey as ModelForeignKey
from django.utils import timezone
from rest_framework.pagination import BasePagination
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from opsdesk.jsonrows import fixed_zone, sql_literal, sql_local_iso, sql_name
from opsdesk.pagination import KeysetPagination, Reuse
from tickets.choices import ClockKind, TicketKind
from tickets.models import SLAClock

from ..models import Incident
from ..sla import TARGET_ORDER
from .serializers import SLA_TARGETS, IncidentSerializer, sla_labels


def _iso(col: str) -> str:
    return sql_local_iso(col, shift="p.shift", suffix="p.suffix")


def _stamp(col: str) -> str:
    """A timestamp column's JSON text: the quoted local ISO time, or null."""
    return f"COALESCE('\"' || {_iso(col)} || '\"', 'null')"


def _text(col: str) -> str:
    """A text column's JSON text: to_json escapes it as row_to_json would, or null."""
    return f"COALESCE(to_json({col})::text, 'null')"


def _number(col: str) -> str:
    return f"COALESCE(({col})::text, 'null')"


def _quoted(text: str) -> str:
    """A constant as the SQL literal of its JSON text (code's names and keys only)."""
    return sql_literal(json.dumps(text, ensure_ascii=False))


def _concat(parts: list[str]) -> str:
    """concat() of the parts (one allocation for the whole text), nested past the 100 arguments
    PostgreSQL allows a function."""
    while len(parts) > 90:
        parts = [f"concat({', '.join(parts[i:i + 90])})" for i in range(0, len(parts), 90)]
    return f"concat({', '.join(parts)})"


def _object(members: list[tuple[str, str]]) -> str:
    """The SQL text of a JSON object: `members` are (key, SQL of the value's JSON text), written as
    the serializer's JSONRenderer writes them (no spaces, keys in order)."""
    parts: list[str] = []
    for i, (key, value) in enumerate(members):
        parts += [sql_literal(("{" if i == 0 else ",") + json.dumps(key, ensure_ascii=False) + ":"), value]
    return _concat([*parts, "'}'"]) if parts else "'{}'"


def _row_sql(serializer_class: type[IncidentSerializer]) -> tuple[list[str], list[tuple[str, str]]] | None:
    """(the timestamp columns the row writes; its members: (key, SQL of the value's JSON text), the
    `sla` block as `s.sla`) for `serializer_class`'s fields, or None when a field has no SQL form
    here (then the page takes the Python path)."""
    plan = serializer_class().fast_plan()
    columns = {f.attname: f for f in Incident._meta.concrete_fields}
    stamps: list[str] = [due for due, _met in SLA_TARGETS.values()]
    members: list[tuple[str, str]] = []
    for name, kind, attr, _field in plan:
        if kind == "sla":
            members.append((name, "s.sla"))
            continue
        model_field: Any = columns.get(attr)
        col = f"r.{sql_name(attr)}"
        if model_field is None:
            return None
        if kind == "datetime" and isinstance(model_field, DateTimeField):
            stamps.append(attr)
            members.append((name, _stamp(col)))
        elif ((kind == "raw" and isinstance(model_field, ModelForeignKey)
               and isinstance(model_field.target_field, IntegerField))
              or (kind == "int" and isinstance(model_field, IntegerField))):
            members.append((name, _number(col)))
        elif kind == "str" and isinstance(model_field, ModelCharField | TextField):
            members.append((name, _text(col)))
        else:
            return None
    return stamps, members


def _sla_members() -> list[tuple[str, str]]:
    """`sla_block`'s object: the due times, paused, the targets missed and each clock's view."""
    breached = ", ".join(
        f"CASE WHEN r.{sql_name(due)} IS NOT NULL AND COALESCE(r.{sql_name(met)}, r.sla_paused_at, p.now)"
        f" > r.{sql_name(due)} THEN {_quoted(name)} END"
        for name, (due, met) in SLA_TARGETS.items())
    members = [(due, _stamp(f"r.{sql_name(due)}")) for due, _met in SLA_TARGETS.values()]
    members += [
        ("paused", "CASE WHEN r.sla_paused_at IS NOT NULL THEN 'true' ELSE 'false' END"),
        ("breached", f"'[' || concat_ws(',', {breached}) || ']'"),  # concat_ws leaves the NULLs out
        ("targets", "'[' || COALESCE(k.targets, '') || ']'"),
    ]
    return members


def _clock_members() -> list[tuple[str, str]]:
    """One target of `sla_block`, from a clock row `c` at position `pos` of TARGET_ORDER (its label
    is `p.labels[pos]`, passed as JSON text). `c.target` is one of TARGET_ORDER (the WHERE clause):
    a name of the code's, written between quotes as it is."""
    state = ("CASE WHEN c.met_at IS NOT NULL THEN '\"met\"' WHEN c.paused_at IS NOT NULL THEN '\"paused\"'"
             " WHEN c.breached_at IS NOT NULL THEN '\"breached\"' WHEN c.warned_pct <> 0 THEN '\"warned\"'"
             " ELSE '\"running\"' END")
    # int(timedelta.total_seconds()) truncates towards zero, as trunc() does; a paused business-hours
    # clock's time left is the calendar's (that row goes to Python: see needs_python).
    seconds = ("CASE WHEN c.met_at IS NOT NULL THEN NULL WHEN c.paused_at IS NOT NULL THEN"
               " CASE WHEN c.breached_at IS NOT NULL THEN 0"
               " ELSE trunc(greatest(EXTRACT(EPOCH FROM c.due_at - c.paused_at), 0))::bigint END"
               " ELSE trunc(EXTRACT(EPOCH FROM c.due_at - p.now))::bigint END")
    return [
        ("target", "'\"' || c.target::text || '\"'"), ("label", "p.labels[pos]"), ("due_at", _stamp("c.due_at")),
        ("state", state), ("warned_pct", _number("c.warned_pct")), ("met_at", _stamp("c.met_at")),
        ("breached_at", _stamp("c.breached_at")), ("seconds_left", _number(seconds)),
    ]


@cache
def _page_sql(serializer_class: type[IncidentSerializer]) -> tuple[str, str] | None:
    """(the SELECT list after the cursor columns: id, needs Python, the row's JSON text; the joins
    after the page's query `r`) for the class, built once per process; None: no SQL form.

    The JSON is written as text (concat of each value's JSON text) rather than by row_to_json over
    nested subqueries: a quarter less of PostgreSQL's time for a page (benchmarks/RESULTS.md §12)."""
    row = _row_sql(serializer_class)
    if row is None:
        return None
    stamps, members = row
    targets = "ARRAY[" + ", ".join(sql_literal(str(t)) for t in TARGET_ORDER) + "]::text[]"
    needs_python_clock = (f"(c.met_at IS NULL AND c.paused_at IS NOT NULL AND c.breached_at IS NULL"
                          f" AND c.clock = {sql_literal(str(ClockKind.BUSINESS))})"
                          f" OR LEAST(c.due_at, c.met_at, c.breached_at) < p.since")
    joins = (
        " CROSS JOIN (SELECT %s::interval AS shift, %s::text AS suffix, %s::timestamptz AS since,"
        " %s::timestamptz AS now, %s::text[] AS labels) p"
        f" LEFT JOIN LATERAL (SELECT string_agg({_object(_clock_members())}, ',' ORDER BY pos) AS targets,"
        f" bool_or({needs_python_clock}) AS needs_python"
        f" FROM {sql_name(SLAClock._meta.db_table)} c, array_position({targets}, c.target::text) pos"
        f" WHERE c.ticket_kind = {sql_literal(str(TicketKind.INCIDENT))} AND c.ticket_id = r.id"
        f" AND c.target::text = ANY({targets})) k ON true"
        f" CROSS JOIN LATERAL (SELECT {_object(_sla_members())} AS sla) s")
    old = ", ".join(f"r.{sql_name(column)}" for column in dict.fromkeys(stamps))
    needs_python = f"COALESCE(k.needs_python, false) OR LEAST({old}) < p.since"
    return f"r.id, {needs_python}, {_object(members)}", joins


def incident_list_json_page(queryset: Any, *, serializer_class: type[IncidentSerializer],
                            paginator: BasePagination | None, request: Request, view: Any,
                            context: dict[str, Any], reuse: Reuse | None = None) -> Response | None:
    """A page of `queryset` (incident_list_rows of the list's queryset) written by PostgreSQL, or
    None when it cannot be (not PostgreSQL, a time zone with daylight saving time, a field with no
    SQL form): then the caller serialises the page in Python. With `reuse` the queryset is
    `reuse.build(reuse.key)` (`queryset` None), and a first page's statement is compiled once
    (KeysetPagination.paginate_sql)."""
    db = queryset.db if queryset is not None else router.db_for_read(Incident)
    if connections[db].vendor != "postgresql" or not isinstance(paginator, KeysetPagination):
        return None
    zone = fixed_zone(timezone.get_current_timezone())
    sql = _page_sql(serializer_class)
    if zone is None or sql is None:
        return None
    select, joins = sql
    now: datetime = context.get("now") or timezone.now()
    labels = sla_labels()
    extra = (zone.shift, zone.suffix, zone.since, now,
             [json.dumps(str(labels[t]), ensure_ascii=False) for t in TARGET_ORDER])
    rows = paginator.paginate_sql(queryset, request, view, select=select, joins=joins, params=extra, reuse=reuse)
    texts: list[str] = [row[-1] for row in rows]
    redo = {row[-3]: i for i, row in enumerate(rows) if row[-2]}
    if redo:
        if queryset is None:
            assert reuse is not None
            queryset = reuse.build(reuse.key)
        again = serializer_class(queryset.filter(pk__in=list(redo)), many=True, context=context).data
        renderer = JSONRenderer()
        for item in again:
            texts[redo[item["id"]]] = renderer.render(item).decode()
    return paginator.get_paginated_json_response(texts)
