"""Related lists in the same query as their parent row (issue 19: a detail page in a few queries).

`json_rows(qs, related=(...))` turns a queryset into an `ARRAY(SELECT to_jsonb(row.*) ...)`
annotation (django.contrib.postgres.expressions.ArraySubquery) carrying the whole row of its model
and of the given one-level `select_related` relations (the user row of an author, like
select_related, includes every column); `instances_from_json(model, rows,
related=(...))` rebuilds model instances from that array, as `Model.from_db` would from a row, with
the related objects cached (no lazy query when a template follows them). The queryset keeps its own
filters and order, so a selector's visibility rules apply unchanged.

JSON carries datetimes, dates, decimals and intervals as text: they are converted back with the
field's `to_python` (the connection's time zone is UTC, so the offsets are right).
PostgreSQL only (ArraySubquery, to_jsonb); callers fall back to the plain querysets elsewhere."""

from __future__ import annotations

import functools
import importlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from datetime import timezone as dt_timezone
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, models
from django.db.models import Expression, F, JSONField, QuerySet
from django.db.models.functions import JSONObject

# Fields whose JSON form (text) needs converting back to the Python value (datetimes, dates, ...).
_CONVERTED = (models.DateTimeField, models.DateField, models.TimeField, models.DecimalField,
              models.DurationField, models.UUIDField)


def json_supported() -> bool:
    return connection.vendor == "postgresql"


class RowJson(Expression):
    """`to_jsonb(<alias>.*)`: the whole row of the queryset's table (path None) or of the table a
    forward foreign key `path` joins (NULL when there is none), under whatever alias the query gives it
    — one expression however many columns, so building and compiling it stays cheap."""

    output_field = JSONField()

    def __init__(self, path: str | None = None) -> None:
        super().__init__()
        self.path = path
        self.col: Any = None

    def resolve_expression(self, query: Any = None, allow_joins: bool = True, reuse: Any = None,
                           summarize: bool = False, for_save: bool = False) -> RowJson:
        clone = self.copy()
        if self.col is not None:  # resolved already (an outer query resolving its subquery again)
            clone.col = self.col.resolve_expression(query, allow_joins, reuse, summarize, for_save)
            return clone
        # A column that is not the primary key, so the join to the related table is not trimmed.
        target = query.model if self.path is None else query.model._meta.get_field(self.path).related_model
        other = next(f.attname for f in target._meta.concrete_fields if not f.primary_key)
        name = other if self.path is None else f"{self.path}__{other}"
        clone.col = F(name).resolve_expression(query, allow_joins, reuse, summarize, for_save)
        return clone

    def get_source_expressions(self) -> list[Any]:
        return [self.col] if self.col is not None else []

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        if exprs:
            self.col = exprs[0]

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:  # type: ignore[override]
        return f"to_jsonb({compiler.quote_name(self.col.alias)}.*)", ()


def json_rows(qs: QuerySet[Any], *, related: Sequence[str] = ()) -> Any:
    """An ARRAY of one JSON object per row of `qs`: its columns (by column name), and under "+name"
    for each name in `related` (a forward foreign key) the related row (null when there is none)."""
    from django.contrib.postgres.expressions import ArraySubquery  # noqa: PLC0415

    if not related:
        return ArraySubquery(qs.values(j=RowJson()).values("j"))
    parts: dict[str, Any] = {"row": RowJson()}
    parts.update({f"r_{name}": RowJson(name) for name in related})
    return ArraySubquery(qs.values(j=JSONObject(**parts)).values("j"))


def _instance(model: Any, row: dict[str, Any]) -> models.Model:
    names, values = [], []
    for f in model._meta.concrete_fields:
        value = row.get(str(f.column))
        if value is not None and isinstance(f, _CONVERTED):
            value = f.to_python(value)
        names.append(f.attname)
        values.append(value)
    return model.from_db(connection.alias, names, values)


def instances_from_json(model: type[models.Model], rows: Iterable[dict[str, Any]] | None, *,
                        related: Sequence[str] = ()) -> list[Any]:
    """Model instances from `json_rows`' array, with the `related` objects cached on them."""
    out = []
    for item in rows or ():
        row = item["row"] if related else item
        instance = _instance(model, row)
        for name in related:
            field: Any = model._meta.get_field(name)
            data = item.get(f"r_{name}")
            field.set_cached_value(instance, _instance(field.related_model, data) if data else None)
        out.append(instance)
    return out


# --- JSON written by PostgreSQL, byte for byte what DRF's JSONRenderer writes --------------------------
#
# A list page can have PostgreSQL write each row's JSON (issue 19: ~800 timestamps a page were loaded
# into Python only to be formatted again). row_to_json() writes a record compactly, as
# `json.dumps(value, ensure_ascii=False, separators=(",", ":"))` does: keys in column order, strings
# escaped alike (", \, \b \f \n \r \t, other control characters as \u00XX, everything else as it
# is), integers, true/false and null alike: a LATERAL (SELECT value AS key, ...) gives the record; the
# timestamps are given as the text DRF's DateTimeField writes (`sql_local_iso`), in a time zone with
# one fixed UTC offset (`fixed_zone`), passed through columns of a parameters row so the statement
# text does not depend on the zone. None of this SQL contains "%" (it would be taken for a query
# parameter).


@dataclass(frozen=True)
class FixedZone:
    """A time zone's UTC offset from `since` on (it had others before)."""

    shift: timedelta
    suffix: str  # the offset as DRF writes it: "+08:00", "Z" for UTC
    since: datetime


_EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
# The pure-Python ZoneInfo (the standard library's fallback implementation): its transitions are readable.
_pyzoneinfo: Any = importlib.import_module("zoneinfo._zoneinfo")


@functools.cache
def _fixed_zone(key: str) -> FixedZone | None:
    try:
        data: Any = _pyzoneinfo.ZoneInfo(key)  # reads the same file as the C ZoneInfo
        after = data._tz_after  # the offset after the last transition, or a daylight-saving rule
        shift = after.utcoff
        # Some zone files repeat the last offset in filler transitions up to 2037: go back to the
        # last transition that changed it.
        transitions, infos = list(data._trans_utc), list(data._ttinfos)
        while transitions and infos[-1].utcoff == shift:
            transitions.pop()
            infos.pop()
        before = data._tti_before  # None in a zone file without transitions
        if not transitions and (before is None or before.utcoff == shift):
            since = _EARLIEST
        else:
            since = datetime.fromtimestamp(data._trans_utc[len(transitions)], UTC)
        zone = _zone_with(shift, since)
        c_zone = ZoneInfo(key)
        if zone is None or any((at + timedelta(days=d)).astimezone(c_zone).utcoffset() != shift
                               for at in (since, datetime.now(UTC)) for d in (1, 200, 400)):
            return None  # the two implementations disagree: do not rely on the private fields
    except (AttributeError, TypeError, OSError, ValueError, LookupError, OverflowError):
        return None  # a daylight-saving rule has no utcoff; an unknown key
    return zone


def _zone_with(shift: Any, since: datetime) -> FixedZone | None:
    if not isinstance(shift, timedelta) or abs(shift) >= timedelta(hours=24) or shift.microseconds:
        return None
    text = datetime(2000, 1, 1, tzinfo=dt_timezone(shift)).isoformat()[19:]
    return FixedZone(shift=shift, suffix="Z" if text == "+00:00" else text, since=since)


def fixed_zone(tz: tzinfo) -> FixedZone | None:
    """`tz`'s UTC offset and the instant from which it has been its only one, from Python's own zone
    data (zoneinfo's transitions; after the last one there must be no daylight-saving rule), or None
    (a zone with daylight saving time; a tzinfo that is neither a ZoneInfo nor a fixed offset)."""
    if isinstance(tz, dt_timezone):
        return _zone_with(tz.utcoffset(None), _EARLIEST)
    key = getattr(tz, "key", None)
    if not isinstance(tz, ZoneInfo) or not isinstance(key, str):
        return None
    return _fixed_zone(key)


def sql_local_iso(col: str, *, shift: str, suffix: str) -> str:
    """SQL text of `serializers.DateTimeField().to_representation(value)` (NULL for NULL) in a zone
    with a fixed offset (`fixed_zone`): `value.astimezone(zone).isoformat()` with "+00:00" written
    "Z", where `shift` is the SQL of the offset (an interval) and `suffix` of its text; microseconds
    only when there are any. Only for values from the zone's `since` on: the caller checks that."""
    local = f"(({col} AT TIME ZONE 'UTC') + {shift})"
    return f"(replace(to_char({local}, 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), '.000000', '') || {suffix})"


def sql_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sql_literal(text: str) -> str:
    """A constant as an SQL string literal (code's constants only, never user input)."""
    if "%" in text:
        raise ValueError("a literal with % would be taken for a query parameter")
    return "'" + text.replace("'", "''") + "'"
