"""Excel (.xlsx) output with openpyxl: the tables behind a report (one sheet per Table, from the same
build() context as the PDF), and the export of a filtered incident list.

Both use openpyxl's write-only workbook, which streams rows to a temporary file instead of keeping a
cell object per value in memory, so an export of 100 000 incidents stays at a few MB of RAM."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from opsdesk.spreadsheets import looks_like_formula, xlsx_row

from .registry import Table

# Excel allows 1 048 576 rows; an incident export stops well before that and says so in its last row.
EXPORT_ROW_CAP = 200_000
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="0B3D6E")
# Characters openpyxl refuses in cell text (control characters other than tab/newline).
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def cell_value(value: Any) -> Any:
    """A value Excel can hold: aware datetimes become local wall-clock time (Excel has no zones),
    lazy translations become text, None stays empty."""
    if value is None:
        return None
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(tzinfo=None)
    if isinstance(value, bool | int | float | Decimal | date):
        return value
    return _ILLEGAL.sub("", str(value))


def sheet_title(title: Any, used: set[str]) -> str:
    base = _BAD_SHEET_CHARS.sub(" ", str(title)).strip()[:28] or "Sheet"
    name, n = base, 2
    while name.lower() in used:
        name = f"{base[:25]} {n}"
        n += 1
    used.add(name.lower())
    return name


def _header_row(ws: WriteOnlyWorksheet, headers: Sequence[Any]) -> list[WriteOnlyCell]:
    cells = []
    for h in headers:
        cell = WriteOnlyCell(ws, value=cell_value(h))
        if looks_like_formula(cell.value):
            cell.data_type, cell.quotePrefix = "s", True  # a header is text, never a formula
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        cells.append(cell)
    return cells


def _widths(ws: WriteOnlyWorksheet, headers: Sequence[Any], rows: Iterable[Sequence[Any]]) -> None:
    widths = [len(str(h)) * (2 if any(ord(c) > 0x2E80 for c in str(h)) else 1) for h in headers]
    for row in rows:
        for i, v in enumerate(row[: len(widths)]):
            text = str(v) if v is not None else ""
            width = len(text) * (2 if any(ord(c) > 0x2E80 for c in text) else 1)
            widths[i] = max(widths[i], min(width, 60))
    for i, w in enumerate(widths):
        ws.column_dimensions[_column_letter(i + 1)].width = max(8, min(w + 2, 62))


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)


def tables_workbook(tables: Sequence[Table], out: IO[bytes]) -> None:
    """Write `tables` as one sheet each (header row styled, first row frozen) to `out`."""
    wb = Workbook(write_only=True)
    used: set[str] = set()
    if not tables:
        ws = wb.create_sheet(sheet_title(_("Report"), used))
        ws.append(xlsx_row(ws, [_("This report has no tables.")]))
    for table in tables:
        ws = wb.create_sheet(sheet_title(table.title, used))
        rows = [[cell_value(v) for v in row] for row in table.rows]
        _widths(ws, table.headers, rows)
        ws.freeze_panes = "A2"
        ws.append(_header_row(ws, table.headers))
        for row in rows:
            ws.append(xlsx_row(ws, row))
    wb.save(out)


def tables_xlsx_bytes(tables: Sequence[Table]) -> bytes:
    with tempfile.TemporaryFile() as fh:
        tables_workbook(tables, fh)
        fh.seek(0)
        return fh.read()


def rows_workbook(*, title: Any, headers: Sequence[Any], rows: Iterable[Sequence[Any]], out: IO[bytes],
                  cap: int = EXPORT_ROW_CAP, widths: Sequence[int] | None = None,
                  about: Sequence[Any] = ()) -> int:
    """Stream `rows` into a one-sheet workbook written to `out`; stops after `cap` rows and then adds a
    last row saying the list was cut. `about` lines (e.g. "data as of", from the reporting replica) go to
    a second sheet, so the data sheet stays rows only. Returns the number of data rows written."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet_title(title, set()))
    for i, w in enumerate(widths or []):
        ws.column_dimensions[_column_letter(i + 1)].width = w
    ws.freeze_panes = "A2"
    ws.append(_header_row(ws, headers))
    written = 0
    for row in rows:
        if written >= cap:
            ws.append([_("The list was cut at %(cap)s rows: narrow the filters to export the rest.") % {"cap": cap}])
            break
        ws.append(xlsx_row(ws, [cell_value(v) for v in row]))
        written += 1
    if about:
        info = wb.create_sheet(sheet_title(pgettext("export sheet", "About"), {ws.title}))
        info.column_dimensions["A"].width = 80
        for line in about:
            info.append(xlsx_row(info, [cell_value(line)]))
    wb.save(out)
    return written
