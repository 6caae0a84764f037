"""The report kinds OpsDesk can generate. Each kind module in reports/kinds/ registers one ReportKind;
generation (reports/services.py) looks the kind up here, builds its context with SQL aggregations,
renders the PDF (reports/pdf.py) and the Excel tables from the same context, so the two always agree."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from django.utils.functional import Promise


@dataclass(frozen=True)
class Table:
    """One table behind a report: a sheet of the Excel export."""

    title: str | Promise
    headers: Sequence[str | Promise]
    rows: Sequence[Sequence[Any]]


@dataclass(frozen=True)
class ReportInput:
    """What a report is asked for. `organization` None means all organisations (staff only).
    `start`/`end` are aware datetimes, end exclusive, already in the configured zone's boundaries.
    `incident` is set for per-incident kinds; `options` carries kind-specific inputs (e.g. typed
    recommendations for the quarterly report)."""

    organization: Any | None
    start: datetime | None
    end: datetime | None
    period_label: str
    now: datetime
    incident: Any | None = None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReportKind:
    code: str  # API value, e.g. "monthly_fault_summary"
    title: str | Promise
    scope: Literal["period", "incident"]
    template: str  # PDF template, extends "reports/pdf/base.html"
    build: Callable[[ReportInput], dict[str, Any]]  # the figures, aggregated in SQL
    tables: Callable[[dict[str, Any]], list[Table]] | None = None  # Excel sheets from build()'s result
    period_kinds: tuple[str, ...] = ("month",)  # which period forms it accepts: day, month, quarter, year


REGISTRY: dict[str, ReportKind] = {}


def register(kind: ReportKind) -> ReportKind:
    if kind.code in REGISTRY:
        raise ValueError(f"report kind {kind.code} registered twice")
    REGISTRY[kind.code] = kind
    return kind


def kind_get(code: str) -> ReportKind:
    """The kind called `code`; KeyError when unknown (callers turn that into a field error)."""
    _load_kinds()
    return REGISTRY[code]


def kind_list() -> list[ReportKind]:
    _load_kinds()
    return list(REGISTRY.values())


def _load_kinds() -> None:
    import importlib
    import pkgutil

    from . import kinds

    for info in pkgutil.iter_modules(kinds.__path__):
        importlib.import_module(f"{kinds.__name__}.{info.name}")
