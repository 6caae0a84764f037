"""Spreadsheet cells that are never live formulas (CSV / formula injection, OWASP).

Every xlsx and csv the project writes goes through this module, so a customer's incident title
`=HYPERLINK("http://evil", "Click")` or a CI named `@SUM(1+1)` reaches the reader as the text it is:

- xlsx: a text that starts like a formula is written as a text cell with Excel's quote prefix
  (shown as typed, never evaluated, and still text after the cell is edited). The stored value is
  the original text, so reading the workbook back gives it unchanged.
- csv: a text that starts like a formula gets a leading apostrophe (the OWASP recommendation);
  `csv_text` removes exactly that apostrophe on import, so an export imports back unchanged. A text
  that already starts with apostrophes before a trigger character gets one more, so the mapping is
  reversible for every text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

# Characters a spreadsheet program reads as the start of a formula (also after a tab or CR/LF).
_TRIGGER = re.compile(r"^'*[=+\-@\t\r\n\uff1d\uff0b\uff0d\uff20]")
_ESCAPED = re.compile(r"^'+[=+\-@\t\r\n\uff1d\uff0b\uff0d\uff20]")


def looks_like_formula(value: Any) -> bool:
    return isinstance(value, str) and bool(_TRIGGER.match(value))


def csv_cell(value: Any) -> Any:
    """A value for csv.writer: formula-like text gets a leading apostrophe; anything else as it is."""
    return "'" + value if looks_like_formula(value) else value


def csv_row(values: Iterable[Any]) -> list[Any]:
    return [csv_cell(v) for v in values]


def csv_text(text: str) -> str:
    """The original text of a cell `csv_cell` wrote (the inverse: one escaping apostrophe removed)."""
    return text[1:] if _ESCAPED.match(text) else text


def xlsx_cell(ws: WriteOnlyWorksheet, value: Any) -> Any:
    """A value for a write-only worksheet row: formula-like text becomes a quote-prefixed text cell."""
    if not looks_like_formula(value):
        return value
    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"  # openpyxl would store a leading "=" as a formula
    cell.quotePrefix = True
    return cell


def xlsx_row(ws: WriteOnlyWorksheet, values: Iterable[Any]) -> list[Any]:
    return [xlsx_cell(ws, v) for v in values]
