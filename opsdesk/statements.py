"""Heavy fixed-shape statements without their fixed costs (issue 19): compiled once per shape in each
process, planned once per database connection.

The staff incident page reads an incident and everything its page shows in one statement
(incidents.selectors.incident_page_get): seven tables joined and ten subqueries. Building that queryset
and compiling it cost ~10 ms of Python per view; PostgreSQL spent 5-8 ms *planning* it (the join search
over tables with many indexes) and ~1 ms running it.

* `compiled_get(model=, shape=, build=, key=)`: the queryset `build(key)` (one row by its key) is built
  and compiled once per process, shape and database, with a sentinel in place of the key; later calls
  put the key into the parameters and run the same SQL, and the row becomes an instance the way
  Django's own iterator makes it (select_related objects and annotations included). `shape` must name
  everything else the SQL depends on, the user's visibility above all: callers take
  `TicketQuerySet.visibility_key(user)`, kept beside `visible_to`.
* `compiled_rows(model=, shape=, build=, key=)`: the same for a values_list() queryset (the incident
  page's pickers: one UNION ALL whose only varying value is the organisation), not prepared.
* `remembered(shape, make)`: any value made once per shape in the same bounded cache: the work lists'
  first-page statements, which opsdesk.pagination assembles around a compiled list query.
* `inline_values(connection, sql, params)`: a statement's parameters written in as literals. Every
  compiled statement gets its parameters but the key written in (`constants_written_in`): its
  shape names them, so they are constants, and PostgreSQL's one prepared plan is then made for
  them. Left as parameters, the work lists' statuses kept PostgreSQL from proving their partial
  indexes usable in a generic plan, and it planned every run anew.
* `prepared(connection)`: statements executed inside run as server-side prepared statements on
  PostgreSQL (psycopg 3), so a connection plans each once; PostgreSQL then reuses a generic plan
  when it costs no more than the custom ones (a row by its primary key: always). Django's own cursors
  bind parameters client-side and never prepare, so nothing else changes. Only for statements whose
  plan cannot depend on their parameters: the compiled ones, whose parameters but the key are
  written in (a row by its key, a user's own rows, a fixed list, a list filtered by values named in
  its shape: one statement per values).

A transaction pooler that moves sessions between clients (PgBouncer in transaction mode before 1.21)
would lose prepared statements: docs/operations.md says to connect directly or in session mode.
"""

from __future__ import annotations

import copy
import re
import threading
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.query import _get_from_db, get_related_populators  # type: ignore[attr-defined]
from django.db.models.utils import create_namedtuple_class

# Stands for the key while the statement is compiled; no row has it (keys are positive).
SENTINEL = -(2**62) - 7919
INT8_MIN, INT8_MAX = -(2**63), 2**63 - 1  # the widest integer column: a key outside matches nothing
MAX_SHAPES = 256  # compiled statements kept per process; the cache starts over beyond this


@dataclass(frozen=True)
class _Compiled:
    compiler: Any  # the SQLCompiler that wrote `sql` (its select, klass_info and annotation map)
    sql: str
    params: tuple[Any, ...]
    slots: tuple[int, ...]  # where the key goes in `params`
    fetch_mode: Any
    names: tuple[str, ...]  # a values query's row names (values_list(named=True))


_EMPTY = object()  # the shape sees no rows at all (e.g. an inactive user's visibility)
_MISSING = object()
_compiled: dict[Hashable, Any] = {}
_lock = threading.Lock()


def compiled_get[M: Model](*, model: type[M], shape: Hashable, build: Callable[[int], QuerySet[M]], key: int) -> M | None:
    """The one row `build(key)` returns (None when there is none), from SQL compiled once per `shape`.
    `build` must return a plain model queryset (no values(), no slicing) whose SQL depends only on
    `shape` and `key`. Prepared per connection (`prepared`): a row by its key plans the same for any key."""
    if not INT8_MIN <= key <= INT8_MAX:  # no row has it; binding it would fail (Django's lookup: no rows)
        return None
    db = router.db_for_read(model)
    entry = _entry(shape, build, key, db)
    if entry is _EMPTY:
        return None
    if not isinstance(entry, _Compiled):  # the SQL held the sentinel as text: not reusable
        return build(key).using(db).first()
    connection, compiler, params = _bind(entry, key, db)
    with prepared(connection), connection.cursor() as cursor:
        cursor.execute(entry.sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    return _instance(compiler, row, db, entry.fetch_mode)


def compiled_rows(*, model: type[Model], shape: Hashable, build: Callable[[int | None], QuerySet[Any]],
                  key: int | None, named: bool = False, prepare: bool = False) -> list[tuple[Any, ...]]:
    """The rows of `build(key)` (a values_list() queryset, a union of them included) from SQL compiled
    once per `shape` (and per whether `key` is None). `named`: the rows as values_list(named=True)
    gives them. Not prepared unless `prepare`: only where the plan cannot depend on the key (a user's
    own rows, a fixed list)."""
    if key is not None and not INT8_MIN <= key <= INT8_MAX:
        return []
    db = router.db_for_read(model)
    entry = _entry((shape, key is None), build, key, db)
    if entry is _EMPTY:
        return []
    if not isinstance(entry, _Compiled):
        return list(build(key).using(db))
    connection, compiler, params = _bind(entry, key, db)
    with prepared(connection) if prepare else nullcontext(), connection.cursor() as cursor:
        cursor.execute(entry.sql, params)
        rows = cursor.fetchall()
    out = [tuple(row) for row in compiler.results_iter(results=[rows])]
    if named:
        row_class = create_namedtuple_class(*entry.names)
        return [tuple.__new__(row_class, row) for row in out]
    return out


def remembered(shape: Hashable, make: Callable[[], Any]) -> Any:
    """`make()` computed once per process and `shape`, kept with the compiled statements (the same bound,
    forgotten by `compiled_clear`): for statements assembled elsewhere (opsdesk.pagination's first
    pages). `shape` must name everything the value depends on."""
    entry = _compiled.get(shape, _MISSING)
    if entry is _MISSING:
        entry = make()
        with _lock:
            if len(_compiled) >= MAX_SHAPES:
                _compiled.clear()
            _compiled[shape] = entry
    return entry


_PLACEHOLDER = re.compile(r"%%|%s")


def inline_values(connection: Any, sql: str, params: Sequence[Any], *, keep: tuple[int, ...] = ()) -> tuple[str, tuple[Any, ...]]:
    """`sql` with its parameters written in as SQL literals (quoted by the driver, as
    `connection.ops.compose_sql` does), except those at the positions `keep`, which stay parameters:
    (the SQL, the kept parameters). A statement whose shape names its values (a list filtered by
    them) can then be prepared and still be planned for those values: its plan sees constants."""
    values = iter(enumerate(params))
    kept: list[Any] = []

    def literal(match: re.Match[str]) -> str:
        if match.group() == "%%":
            return "%%"
        item = next(values, None)
        if item is None:
            raise ValueError("fewer parameters than placeholders")
        i, value = item
        if i in keep:
            kept.append(value)
            return "%s"
        return connection.ops.compose_sql("%s", [value]).replace("%", "%%")

    out = _PLACEHOLDER.sub(literal, sql)
    if next(values, None) is not None:
        raise ValueError("more parameters than placeholders")
    return out, tuple(kept)


def constants_written_in(connection: Any, sql: str, params: Sequence[Any],
                         slots: tuple[int, ...]) -> tuple[str, tuple[Any, ...], tuple[int, ...]]:
    """A compiled statement with every parameter but the key written in (`inline_values`), on
    PostgreSQL: (sql, params, where the key goes). Its shape names everything but the key, so the
    other parameters are the same on every call; as parameters they kept PostgreSQL from using one
    plan (a list's partial index is usable only when its statuses are known: every run was planned
    anew), as constants its one prepared plan is the plan for them."""
    if connection.vendor != "postgresql":
        return sql, tuple(params), slots
    sql, kept = inline_values(connection, sql, params, keep=slots)
    return sql, kept, tuple(range(len(kept)))


def key_slots(params: Any) -> tuple[int, ...]:
    """Where SENTINEL stands in a compiled statement's parameters."""
    return tuple(i for i, p in enumerate(params) if isinstance(p, int) and not isinstance(p, bool) and p == SENTINEL)


def _entry(shape: Hashable, build: Callable[[Any], QuerySet[Any]], key: int | None, db: str) -> Any:
    """The compiled statement of `shape` on `db`: a _Compiled, _EMPTY, or None (not reusable: the
    callers run `build(key)` as it is; remembered, so it is not compiled again on every call)."""
    return remembered((shape, db), lambda: _compile(build, db, keyed=key is not None))


def _bind(entry: _Compiled, key: int | None, db: str) -> tuple[Any, Any, list[Any]]:
    """(the thread's connection, a copy of the compiler bound to it, the parameters with `key`)."""
    params = list(entry.params)
    for i in entry.slots:
        params[i] = type(params[i])(key)
    connection = connections[db]
    compiler = copy.copy(entry.compiler)
    compiler.connection = connection  # connections are per thread: never the one it was compiled on
    return connection, compiler, params


def compiled_clear() -> None:
    """Forget every compiled statement (tests start each with none)."""
    with _lock:
        _compiled.clear()


def _compile(build: Callable[[Any], QuerySet[Any]], db: str, *, keyed: bool) -> Any:
    qs = build(SENTINEL if keyed else None).using(db)
    compiler = qs.query.get_compiler(using=db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return _EMPTY
    slots = key_slots(params)
    if (keyed and not slots) or str(SENTINEL) in sql:
        return None
    sql, params, slots = constants_written_in(connections[db], sql, params, slots)
    query = qs.query
    names = tuple(getattr(qs, "_fields", None) or (*query.extra_select, *query.values_select, *query.annotation_select))
    return _Compiled(compiler=compiler, sql=sql, params=tuple(params), slots=slots,
                     fetch_mode=getattr(qs, "_fetch_mode", None), names=names)


def _instance(compiler: Any, row: Any, db: str, fetch_mode: Any) -> Any:
    """`row` as Django's ModelIterable makes an instance of it (django/db/models/query.py)."""
    select, klass_info, annotation_col_map = compiler.select, compiler.klass_info, compiler.annotation_col_map
    model_cls = klass_info["model"]
    fields = klass_info["select_fields"]
    start, end = fields[0], fields[-1] + 1
    init_list = [f[0].target.attname for f in select[start:end]]
    row = next(iter(compiler.results_iter(results=[[row]])))  # the fields' converters
    obj = _get_from_db(model_cls, fetch_mode)(db, init_list, row[start:end])
    for populator in get_related_populators(klass_info, select, db, fetch_mode):
        populator.populate(row, obj)
    for attr_name, col_pos in (annotation_col_map or {}).items():
        setattr(obj, attr_name, row[col_pos])
    return obj


def _preparing_cursor() -> type[Any]:
    from django.db.backends.postgresql.base import ServerBindingCursor

    class PreparingCursor(ServerBindingCursor):  # type: ignore[misc, valid-type]
        """Binds parameters on the server and prepares every statement it executes."""

        def execute(self, query: Any, params: Any = None, *, prepare: bool | None = None,
                    binary: bool | None = None) -> Any:
            return super().execute(query, params, prepare=True, binary=binary)  # type: ignore[misc]

    return PreparingCursor


_cursor_class: list[type[Any]] = []


@contextmanager
def prepared(connection: Any) -> Iterator[None]:
    """Cursors opened on `connection` inside this block prepare their statements (PostgreSQL with
    psycopg 3; elsewhere nothing changes)."""
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    raw = connection.connection
    if getattr(raw, "prepare_threshold", None) is None:
        yield  # psycopg 2, or preparing switched off (OPTIONS prepare_threshold None)
        return
    if not _cursor_class:
        _cursor_class.append(_preparing_cursor())
    old = raw.cursor_factory
    raw.cursor_factory = _cursor_class[0]
    try:
        yield
    finally:
        raw.cursor_factory = old
