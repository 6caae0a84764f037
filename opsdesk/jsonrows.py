"""Related lists in the same query as their parent row (issue 19: a detail page in a few queries).

`json_rows(qs, related=(...))` turns a queryset into an `ARRAY(SELECT jsonb_build_object(...) ...)`
annotation (django.contrib.postgres.expressions.ArraySubquery) carrying every concrete column of its
model and of the given one-level `select_related` relations; `instances_from_json(model, rows,
related=(...))` rebuilds model instances from that array, as `Model.from_db` would from a row, with
the related objects cached (no lazy query when a template follows them). The queryset keeps its own
filters and order, so a selector's visibility rules apply unchanged.

PostgreSQL only (ArraySubquery); callers fall back to the plain querysets elsewhere."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models
from django.db.models import F, QuerySet
from django.db.models.functions import JSONObject

# Fields whose JSON form (text) needs converting back to the Python value (datetimes, dates, ...).
_CONVERTED = (models.DateTimeField, models.DateField, models.TimeField, models.DecimalField,
              models.DurationField, models.UUIDField)


def json_supported() -> bool:
    return connection.vendor == "postgresql"


def _object(model: type[models.Model], prefix: str = "") -> JSONObject:
    return JSONObject(**{f.attname: F(prefix + f.attname) for f in model._meta.concrete_fields})


def json_rows(qs: QuerySet[Any], *, related: Sequence[str] = ()) -> Any:
    """An ARRAY of one JSON object per row of `qs`: its columns, and under each name in `related`
    (a forward foreign key) the related row's columns (all null when there is none)."""
    from django.contrib.postgres.expressions import ArraySubquery  # noqa: PLC0415

    model = qs.model
    fields: dict[str, Any] = {f.attname: F(f.attname) for f in model._meta.concrete_fields}
    for name in related:
        fields[name] = _object(model._meta.get_field(name).related_model, f"{name}__")
    return ArraySubquery(qs.values(j=JSONObject(**fields)).values("j"))


def _instance(model: type[models.Model], row: dict[str, Any]) -> models.Model:
    names, values = [], []
    for f in model._meta.concrete_fields:
        value = row.get(f.attname)
        if value is not None and isinstance(f, _CONVERTED):
            value = f.to_python(value)
        names.append(f.attname)
        values.append(value)
    return model.from_db(connection.alias, names, values)


def instances_from_json(model: type[models.Model], rows: Iterable[dict[str, Any]] | None, *,
                        related: Sequence[str] = ()) -> list[Any]:
    """Model instances from `json_rows`' array, with the `related` objects cached on them."""
    out = []
    for row in rows or ():
        instance = _instance(model, row)
        for name in related:
            field = model._meta.get_field(name)
            data = row.get(name) or {}
            target = field.related_model
            obj = _instance(target, data) if data.get(target._meta.pk.attname) is not None else None
            field.set_cached_value(instance, obj)
        out.append(instance)
    return out
