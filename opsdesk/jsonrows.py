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

from collections.abc import Iterable, Sequence
from typing import Any

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
