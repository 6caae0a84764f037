"""Keyset (seek) pagination for every API list (shared/API.md "Lists").

A page is `ORDER BY <ordering>, id LIMIT page_size + 1` with a WHERE clause that starts after the
last row seen, so the cost of a page does not grow with its depth: no COUNT, no OFFSET.

The cursor is opaque to clients: URL-safe base64 of JSON `{"o": ordering, "v": values, "r": 0|1}`,
where `values` are the ordering columns of the boundary row (the last row for `next`, the first
row for `previous`) and `r` says the page is read backwards (a `previous` link).

Ordering comes from `?ordering=` (comma separated, each name optionally prefixed with `-`),
limited to the view's `ordering_fields`; without it the view's `ordering`, the queryset's explicit
`order_by()`, or the model's `Meta.ordering`. `id` is always appended as the tie-break (in the
direction of the last column) so the order is total and stable. Ordering columns must be concrete,
non-null fields of the model, or annotations of the queryset that are never NULL (e.g. a nullable
deadline wrapped in COALESCE, as the incident work lists do): NULLs cannot be compared in a keyset.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.core.exceptions import EmptyResultSet, FieldDoesNotExist, ImproperlyConfigured
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connections, router
from django.db.models import Field, Model, Q, QuerySet
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from opsdesk.statements import INT8_MAX, INT8_MIN, SENTINEL, constants_written_in, key_slots, prepared, remembered

MAX_ORDERING_COLUMNS = 4


@dataclass(frozen=True)
class OrderColumn:
    name: str
    descending: bool
    field: Field[Any, Any]
    # The row attribute / filter name: the field's attname (`organization_id`), or the annotation's name.
    attr: str = ""

    @property
    def attname(self) -> str:
        return self.attr or self.field.attname

    @property
    def token(self) -> str:
        return f"-{self.name}" if self.descending else self.name


@dataclass(frozen=True)
class Reuse:
    """A list whose first page's statement is compiled once (KeysetPagination.paginate_sql): `build(key)`
    makes the list's queryset of `model`; its SQL depends only on `shape` and `key` (SENTINEL while
    compiling; None: no key)."""
    model: type[Model]
    shape: Hashable
    build: Callable[[int | None], QuerySet[Any]]
    key: int | None
    params: frozenset[str] = frozenset()  # the query parameters `shape` accounts for (besides the page size)


@dataclass(frozen=True)
class _FirstPage:
    sql: str
    params: tuple[Any, ...]
    slots: tuple[int, ...]  # where the key goes in `params`
    columns: tuple[OrderColumn, ...]


@dataclass(frozen=True)
class Cursor:
    ordering: tuple[str, ...]
    values: tuple[Any, ...]
    reverse: bool


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


class KeysetPagination(BasePagination):
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"
    cursor_query_param = "cursor"
    ordering_query_param = "ordering"

    def __init__(self) -> None:
        self.request: Request | None = None
        self.columns: list[OrderColumn] = []
        self.rows: list[Any] = []
        self.has_next = False
        self.has_previous = False

    # --- request parsing --------------------------------------------------------------------

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except (TypeError, ValueError):
            size = 0
        if size < 1:
            raise ValidationError({self.page_size_query_param: [
                _("Enter a whole number from 1 to %(max)s.") % {"max": self.max_page_size}]})
        return min(size, self.max_page_size)

    @staticmethod
    def _annotation_field(queryset: QuerySet[Any], name: str) -> Field[Any, Any] | None:
        """The output field of a non-aggregate annotation `name` of `queryset`, if there is one."""
        expression = queryset.query.annotations.get(name)
        if expression is None or getattr(expression, "contains_aggregate", False):
            return None
        return expression.output_field  # type: ignore[no-any-return]

    @staticmethod
    def _field(model: type[Model], name: str) -> Field[Any, Any]:
        if name == "pk":
            name = model._meta.pk.name  # type: ignore[union-attr]
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            raise ImproperlyConfigured(f"Keyset ordering on unknown field {model.__name__}.{name}") from None
        if not getattr(field, "concrete", False) or getattr(field, "null", False):
            raise ImproperlyConfigured(f"Keyset ordering needs a concrete non-null column: {model.__name__}.{name}")
        return field  # type: ignore[return-value]

    @staticmethod
    def _default_tokens(queryset: QuerySet[Any], view: Any) -> list[str]:
        for candidate in (getattr(view, "ordering", None), queryset.query.order_by, queryset.model._meta.ordering):
            if candidate:
                tokens = [candidate] if isinstance(candidate, str) else list(candidate)
                if all(isinstance(t, str) for t in tokens):
                    return tokens
        return ["-id"]

    def get_ordering(self, request: Request, queryset: QuerySet[Any], view: Any) -> list[OrderColumn]:
        model = queryset.model
        raw = request.query_params.get(self.ordering_query_param)
        if raw is not None:  # present but empty is refused too: the schema's items are an enum
            allowed = list(getattr(view, "ordering_fields", None) or ())
            # Exactly the documented form (OpenAPI: an array, comma-separated): no blanks, no spaces.
            tokens = raw.split(",")
            bad = [t for t in tokens if t.removeprefix("-") not in allowed]
            if bad or len(tokens) > MAX_ORDERING_COLUMNS:
                choices = ", ".join(f"{name}, -{name}" for name in allowed) or _("none (the order is fixed)")
                raise ValidationError({self.ordering_query_param: [
                    _("Order by up to %(n)s of: %(choices)s.") % {"n": MAX_ORDERING_COLUMNS, "choices": choices}]})
        else:
            tokens = self._default_tokens(queryset, view)
        columns: list[OrderColumn] = []
        seen: set[str] = set()
        for token in tokens:
            name = token.lstrip("-")
            annotated = self._annotation_field(queryset, name)
            if annotated is not None:
                if name not in seen:
                    seen.add(name)
                    columns.append(OrderColumn(name, token.startswith("-"), annotated, attr=name))
                continue
            field = self._field(model, name)
            if field.name in seen:
                continue
            seen.add(field.name)
            columns.append(OrderColumn(field.name, token.startswith("-"), field))
        pk = model._meta.pk
        assert pk is not None
        if pk.name not in seen:
            columns.append(OrderColumn(pk.name, columns[-1].descending if columns else True, pk))
        return columns

    def decode_cursor(self, request: Request) -> Cursor | None:
        raw = request.query_params.get(self.cursor_query_param)
        if not raw:
            return None
        # Like DRF's CursorPagination: a cursor that does not point into this list is a page that does
        # not exist (404), whatever its shape; the schema can only say that it is a string.
        invalid = NotFound(
            _("This cursor is not valid for this list and ordering: start again from the first page."))
        try:
            blob = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
            ordering = tuple(str(t) for t in blob["o"])
            raw_values = list(blob["v"])
            reverse = bool(blob.get("r", 0))
        except (binascii.Error, ValueError, TypeError, KeyError, UnicodeDecodeError, RecursionError):
            raise invalid from None
        if ordering != tuple(c.token for c in self.columns) or len(raw_values) != len(self.columns):
            raise invalid
        try:
            values = tuple(c.field.to_python(v) for c, v in zip(self.columns, raw_values, strict=True))
        except (DjangoValidationError, TypeError, ValueError):
            raise invalid from None
        if any(v is None for v in values):
            raise invalid
        return Cursor(ordering=ordering, values=values, reverse=reverse)

    def encode_cursor(self, row: Any, *, reverse: bool) -> str:
        values = [_encode_value(getattr(row, c.attname)) for c in self.columns]
        blob = {"o": [c.token for c in self.columns], "v": values, "r": int(reverse)}
        text = json.dumps(blob, separators=(",", ":"), ensure_ascii=True)
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    # --- the query --------------------------------------------------------------------------

    @staticmethod
    def _after(columns: Sequence[OrderColumn], values: Sequence[Any], *, reverse: bool) -> Q:
        """Rows strictly after `values` in the order of `columns` (before, when `reverse`).

        The leading `col1 >= v1` conjunct is redundant but lets PostgreSQL use it as an index range
        condition on the leading column instead of filtering the OR tree row by row."""
        def op(col: OrderColumn, *, inclusive: bool) -> str:
            descending = col.descending != reverse
            base = "lt" if descending else "gt"
            return base + ("e" if inclusive else "")

        tree = Q()
        equal: dict[str, Any] = {}
        for col, value in zip(columns, values, strict=True):
            tree |= Q(**equal, **{f"{col.attname}__{op(col, inclusive=False)}": value})
            equal[col.attname] = value
        first = columns[0]
        return Q(**{f"{first.attname}__{op(first, inclusive=True)}": values[0]}) & tree

    def _page_query(self, queryset: QuerySet[Any], request: Request, view: Any) -> tuple[QuerySet[Any], int, bool, bool]:
        """(the page's queryset: ordered, after the cursor, LIMIT size + 1; size; read backwards;
        a cursor was given)."""
        self.request = request
        size = self.get_page_size(request)
        self.columns = self.get_ordering(request, queryset, view)
        cursor = self.decode_cursor(request)
        reverse = bool(cursor and cursor.reverse)
        order = [f"-{c.name}" if c.descending != reverse else c.name for c in self.columns]
        qs = queryset.order_by(*order)
        if cursor is not None:
            qs = qs.filter(self._after(self.columns, cursor.values, reverse=reverse))
        return qs[: size + 1], size, reverse, cursor is not None

    def _keep(self, rows: list[Any], *, size: int, reverse: bool, after_cursor: bool) -> list[Any]:
        more = len(rows) > size
        rows = rows[:size]
        if reverse:
            rows.reverse()
            self.has_previous, self.has_next = more, True
        else:
            self.has_next, self.has_previous = more, after_cursor
        return rows

    def paginate_queryset(self, queryset: QuerySet[Any], request: Request, view: Any = None) -> list[Any]:
        qs, size, reverse, after_cursor = self._page_query(queryset, request, view)
        self.rows = self._keep(list(qs), size=size, reverse=reverse, after_cursor=after_cursor)
        return self.rows

    def paginate_sql(self, queryset: QuerySet[Any] | None, request: Request, view: Any, *, select: str, joins: str,
                     params: Sequence[Any], reuse: Reuse | None = None) -> list[tuple[Any, ...]]:
        """The page of `queryset` as `paginate_queryset` reads it, through a statement that wraps the
        page's own query (its filters, keyset condition, order and LIMIT, compiled by Django):
        `SELECT <the ordering columns>, <select> FROM (<page query>) r <joins> ORDER BY <the order>`,
        with `params` after the page query's. `queryset` must be a values query selecting the
        ordering columns by their attribute names. Returns each row's `select` part, in page order.

        `reuse`: the list's queryset is `reuse.build(reuse.key)` (then `queryset` may be None). A first
        page (no parameter but the page size and `reuse.params`) is then read by a statement compiled
        once per process and `reuse.shape` (opsdesk.statements), its parameters but the key written
        in, and prepared per connection: `shape` must name everything the list's SQL depends on except
        `key` (the values it is filtered by included), so that the one plan fits them."""
        if reuse is not None and set(request.query_params) <= reuse.params | {self.page_size_query_param}:
            fetched = self._first_page(reuse, request, view, select=select, joins=joins, params=params)
            if fetched is not None:
                return fetched
        if queryset is None:
            assert reuse is not None
            queryset = reuse.build(reuse.key)
        qs, size, reverse, after_cursor = self._page_query(queryset, request, view)
        connection = connections[qs.db]
        inner, inner_params = qs.query.get_compiler(using=qs.db).as_sql()
        sql = self._wrap(connection, inner, select, joins, reverse=reverse)
        with connection.cursor() as cursor:
            cursor.execute(sql, (*inner_params, *params))
            fetched = cursor.fetchall()
        return self._page_rows(fetched, size=size, reverse=reverse, after_cursor=after_cursor)

    def _wrap(self, connection: Any, inner: str, select: str, joins: str, *, reverse: bool) -> str:
        quoted = [connection.ops.quote_name(c.attname) for c in self.columns]
        order = ", ".join(f"{i} {'DESC' if c.descending != reverse else 'ASC'}"
                          for i, c in enumerate(self.columns, start=1))
        return (f"SELECT {', '.join(f'r.{q}' for q in quoted)}, {select} FROM ({inner}) r{joins}"
                f" ORDER BY {order}")

    def _page_rows(self, fetched: list[Any], *, size: int, reverse: bool, after_cursor: bool) -> list[tuple[Any, ...]]:
        fetched = self._keep(fetched, size=size, reverse=reverse, after_cursor=after_cursor)
        keys = [c.attname for c in self.columns]
        n = len(keys)
        self.rows = [_Boundary(dict(zip(keys, row[:n], strict=True))) for row in fetched]
        return [row[n:] for row in fetched]

    def _first_page(self, reuse: Reuse, request: Request, view: Any, *, select: str, joins: str,
                    params: Sequence[Any]) -> list[tuple[Any, ...]] | None:
        """The first page through the statement compiled for `reuse.shape` (None: it cannot be reused)."""
        if reuse.key is not None and not INT8_MIN <= reuse.key <= INT8_MAX:
            return None
        size = self.get_page_size(request)
        db = router.db_for_read(reuse.model)
        entry = remembered(("keyset-first-page", type(self), reuse.shape, size, select, joins, db),
                           lambda: self._compile_first_page(reuse, request, view, select, joins, db))
        if entry is None:
            return None
        self.request = request
        self.columns = list(entry.columns)
        bound = list(entry.params)
        for i in entry.slots:
            bound[i] = reuse.key
        connection = connections[db]
        with prepared(connection), connection.cursor() as cursor:
            cursor.execute(entry.sql, (*bound, *params))
            fetched = cursor.fetchall()
        return self._page_rows(fetched, size=size, reverse=False, after_cursor=False)

    def _compile_first_page(self, reuse: Reuse, request: Request, view: Any, select: str, joins: str,
                            db: str) -> _FirstPage | None:
        qs, _size, reverse, after_cursor = self._page_query(
            reuse.build(None if reuse.key is None else SENTINEL).using(db), request, view)
        assert not reverse and not after_cursor
        try:
            inner, inner_params = qs.query.get_compiler(using=db).as_sql()
        except EmptyResultSet:
            return None  # no rows for anyone of this shape: the usual path answers
        slots = key_slots(inner_params)
        if (reuse.key is not None and not slots) or str(SENTINEL) in inner:
            return None  # the key was not a parameter: not reusable
        inner, inner_params, slots = constants_written_in(connections[db], inner, inner_params, slots)
        sql = self._wrap(connections[db], inner, select, joins, reverse=False)
        return _FirstPage(sql=sql, params=tuple(inner_params), slots=slots, columns=tuple(self.columns))

    # --- the response -----------------------------------------------------------------------

    def _link(self, row: Any, *, reverse: bool) -> str:
        assert self.request is not None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.cursor_query_param, self.encode_cursor(row, reverse=reverse))

    def get_next_link(self) -> str | None:
        if not self.has_next or not self.rows:
            return None
        return self._link(self.rows[-1], reverse=False)

    def get_previous_link(self) -> str | None:
        if not self.has_previous:
            return None
        if not self.rows:
            assert self.request is not None
            return remove_query_param(self.request.build_absolute_uri(), self.cursor_query_param)
        return self._link(self.rows[0], reverse=True)

    def get_paginated_response(self, data: Any) -> Response:
        return Response({"next": self.get_next_link(), "previous": self.get_previous_link(), "results": data})

    def get_paginated_json_response(self, results: Sequence[str]) -> Response:
        """`get_paginated_response` for results that are JSON texts already, each as JSONRenderer
        would write it: the body is assembled, not encoded again (other renderers get it decoded)."""
        envelope = JSONRenderer().render({"next": self.get_next_link(), "previous": self.get_previous_link(),
                                          "results": []})
        assert envelope.endswith(b"[]}")
        body = envelope[:-2] + ",".join(results).replace("\u2028", "\\u2028").replace(
            "\u2029", "\\u2029").encode() + b"]}"
        return JSONTextResponse(body)

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        link = {"type": "string", "format": "uri", "nullable": True}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {**link, "description": "The next page, or null on the last page."},
                "previous": {**link, "description": "The previous page, or null on the first page."},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        allowed = list(getattr(view, "ordering_fields", None) or ())
        params: list[dict[str, Any]] = [
            {
                "name": self.cursor_query_param, "required": False, "in": "query",
                "description": ("Opaque position in the list: take it from the `next` or `previous` link. "
                                "A cursor that does not belong to this list and ordering answers 404."),
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param, "required": False, "in": "query",
                "description": (f"Rows per page (default {self.page_size}); a larger value than "
                                f"{self.max_page_size} gets {self.max_page_size} rows."),
                "schema": {"type": "integer", "minimum": 1},
            },
        ]
        if allowed:
            choices = ", ".join(f"`{name}`, `-{name}`" for name in allowed)
            params.append({
                "name": self.ordering_query_param, "required": False, "in": "query",
                "description": (f"Comma-separated sort columns (at most {MAX_ORDERING_COLUMNS}), `-` for "
                                f"descending, from: {choices}. `id` is always the final tie-break."),
                "style": "form", "explode": False,
                "schema": {"type": "array", "maxItems": MAX_ORDERING_COLUMNS,
                           "items": {"type": "string", "enum": [t for name in allowed for t in (name, f"-{name}")]}},
            })
        return params


class _Boundary:
    """A page row's ordering values, read by `encode_cursor` as attributes."""

    __slots__ = ("values",)

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None


class JSONTextResponse(Response):
    """A response whose body is JSON text already, as JSONRenderer writes it (compact, UTF-8,
    U+2028/U+2029 escaped). JSONRenderer without indentation sends it as it is; any other renderer
    (the browsable API, `; indent=4`) renders the decoded data as usual, and so does `.data`."""

    _data: Any = None

    def __init__(self, body: bytes) -> None:
        super().__init__(None)
        self.json_body = body

    @property
    def data(self) -> Any:  # type: ignore[override]
        if self._data is None and self.json_body:
            self._data = json.loads(self.json_body)
        return self._data

    @data.setter
    def data(self, value: Any) -> None:
        self._data = value

    @property
    def rendered_content(self) -> Any:
        renderer = getattr(self, "accepted_renderer", None)
        if (type(renderer) is JSONRenderer and renderer.compact and not renderer.ensure_ascii
                and renderer.get_indent(getattr(self, "accepted_media_type", None) or "",
                                        getattr(self, "renderer_context", None) or {}) is None):
            self["Content-Type"] = self.content_type or renderer.media_type
            return self.json_body
        return super().rendered_content
