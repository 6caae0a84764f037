"""CI import and export files (CSV and Excel .xlsx, one format for both ways).

Columns (header row, names case-insensitive, any order): organization (code), ci_class (code),
name, status, site, building, floor, room, rack, location, serial, asset_tag, vendor, model,
purchase_date, warranty_end (YYYY-MM-DD or Excel dates), contract (contract number of the
organisation), and `attr:<name>` for class attributes. Required: organization, ci_class, name.

Matching (within the row's organisation): asset_tag, else serial, else (class, name) when the row
has neither; a match is updated, anything else is created. Empty cells leave an existing value
as it is. `plan_import` validates everything and reads the database in bulk (a few queries per
2,000 rows, never one per row); services.ci_import writes the plan.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import Organization
from opsdesk.spreadsheets import csv_row, csv_text, xlsx_row

from .attributes import clean_values
from .choices import CIStatus
from .models import CI, CIClass, MaintenanceContract

COLUMNS = ("organization", "ci_class", "name", "status", "site", "building", "floor", "room", "rack", "location",
           "serial", "asset_tag", "vendor", "model", "purchase_date", "warranty_end", "contract")
REQUIRED_COLUMNS = ("organization", "ci_class", "name")
TEXT_COLUMNS = ("name", "site", "building", "floor", "room", "rack", "location", "serial", "asset_tag", "vendor",
                "model")
TEXT_LIMITS = {"name": 200, "location": 200, "site": 100, "building": 100, "floor": 40, "room": 100, "rack": 40,
               "serial": 100, "asset_tag": 100, "vendor": 100, "model": 100}
ATTR_PREFIX = "attr:"
MAX_ROWS = 50_000
MAX_ERRORS = 1_000
CHUNK = 2_000


class ImportFileError(ValueError):
    """The file cannot be read at all (not CSV/xlsx, no header, too many rows)."""


@dataclass(frozen=True)
class RowError:
    row: int  # the spreadsheet row number (the header is row 1)
    column: str
    message: str


@dataclass
class PlannedRow:
    row: int
    ci: CI  # unsaved for a create; the locked current row for an update
    changes: dict[str, Any]  # field → new value (attributes: the full cleaned dict)
    create: bool


@dataclass
class ImportPlan:
    rows: int = 0
    planned: list[PlannedRow] = field(default_factory=list)
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0

    def error(self, row: int, column: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(RowError(row=row, column=column, message=message))


# --- reading ---------------------------------------------------------------------------------

def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a serial typed as a number in Excel
    return str(value).strip()


def read_table(content: bytes, filename: str) -> Iterator[list[str]]:
    """Rows of cell texts of the first sheet (xlsx) or of a CSV file (UTF-8, or GB18030 as Excel
    saves it on Chinese Windows)."""
    name = filename.lower()
    if name.endswith(".xlsx") or content[:2] == b"PK":
        yield from _read_xlsx(content)
        return
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportFileError(_("The CSV file is neither UTF-8 nor GB18030 text."))
    if "\x00" in text:
        raise ImportFileError(_("This is not a CSV text file."))
    try:
        yield from ([csv_text(c.strip()) for c in row] for row in csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise ImportFileError(_("The CSV file cannot be read: %(error)s") % {"error": exc}) from None


def _read_xlsx(content: bytes) -> Iterator[list[str]]:
    """The first sheet's rows. python-calamine (Rust) reads a 10,000-row sheet ~10x faster than
    openpyxl; openpyxl (already needed for writing) is the fallback when calamine is missing."""
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:  # pragma: no cover - calamine is in requirements.txt
        pass
    else:
        try:
            sheet = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0)
            rows = sheet.to_python(skip_empty_area=False)
        except Exception as exc:  # calamine raises its own error types for a broken zip/xml
            raise ImportFileError(_("This is not a readable Excel (.xlsx) file.")) from exc
        for values in rows:
            yield [_cell_text(v) for v in values]
        return
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken zip/xml
        raise ImportFileError(_("This is not a readable Excel (.xlsx) file.")) from exc
    try:
        for values in workbook.worksheets[0].iter_rows(values_only=True):
            yield [_cell_text(v) for v in values]
    finally:
        workbook.close()


def _status_words() -> dict[str, str]:
    words = {value: value for value in CIStatus.values}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            words.update({str(label).lower(): value for value, label in CIStatus.choices})
    return words


def _date(text: str) -> date:
    return date.fromisoformat(text[:10])


def _chunks(items: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]


# --- planning --------------------------------------------------------------------------------

def plan_import(table: Iterable[list[str]], *, lock: bool) -> ImportPlan:
    """Validate every row and decide create / update / unchanged. With `lock`, the matched CIs are
    locked (SELECT … FOR UPDATE) so that the write that follows cannot lose a concurrent edit."""
    plan = ImportPlan()
    rows = iter(table)
    header_row = next(rows, None)
    if not header_row or not any(header_row):
        raise ImportFileError(_("The file is empty: the first row must name the columns."))
    header = [h.strip().lower() for h in header_row]
    while header and not header[-1]:
        header.pop()
    for position, name in enumerate(header, start=1):
        if name not in COLUMNS and not (name.startswith(ATTR_PREFIX) and len(name) > len(ATTR_PREFIX)):
            plan.error(1, name or f"#{position}", _("Unknown column."))
        elif header.index(name) != position - 1:
            plan.error(1, name, _("This column appears twice."))
    for name in REQUIRED_COLUMNS:
        if name not in header:
            plan.error(1, name, _("This column is required."))
    if plan.error_count:
        return plan
    records: list[tuple[int, dict[str, str]]] = []
    for number, cells in enumerate(rows, start=2):
        if not any(v for v in cells):
            continue
        records.append((number, {name: (cells[i] if i < len(cells) else "") for i, name in enumerate(header)}))
        if len(records) > MAX_ROWS:
            raise ImportFileError(_("At most %(n)s rows per file.") % {"n": MAX_ROWS})
    plan.rows = len(records)

    orgs = {o.code: o for o in Organization.objects.filter(code__in={r["organization"] for _n, r in records})}
    classes = {c.code: c for c in CIClass.objects.filter(code__in={r["ci_class"] for _n, r in records})}
    contract_numbers = {r.get("contract", "") for _n, r in records} - {""}
    contracts = {(c.organization_id, c.number): c
                 for c in MaintenanceContract.objects.filter(number__in=contract_numbers)} if contract_numbers else {}
    status_words = _status_words()
    existing = _existing(records, orgs, lock=lock)
    seen_keys: dict[tuple[Any, ...], int] = {}

    for number, rec in records:
        errors_before = plan.error_count
        org = orgs.get(rec["organization"])
        klass = classes.get(rec["ci_class"])
        if not rec["organization"]:
            plan.error(number, "organization", _("This field is required."))
        elif org is None:
            plan.error(number, "organization", _("No organisation has this code."))
        if not rec["ci_class"]:
            plan.error(number, "ci_class", _("This field is required."))
        elif klass is None:
            plan.error(number, "ci_class", _("No CI class has this code."))
        values: dict[str, Any] = {}
        for name in TEXT_COLUMNS:
            text = rec.get(name, "")
            if text:
                if len(text) > TEXT_LIMITS[name]:
                    plan.error(number, name, _("At most %(n)s characters.") % {"n": TEXT_LIMITS[name]})
                values[name] = text
        if not rec.get("name"):
            plan.error(number, "name", _("This field is required."))
        if rec.get("status"):
            status = status_words.get(rec["status"].lower())
            if status is None:
                plan.error(number, "status", _("Use one of: %(choices)s.") % {"choices": ", ".join(CIStatus.values)})
            values["status"] = status
        for name in ("purchase_date", "warranty_end"):
            if rec.get(name):
                try:
                    values[name] = _date(rec[name])
                except ValueError:
                    plan.error(number, name, _("Enter a date as YYYY-MM-DD."))
        if rec.get("contract") and org is not None:
            contract = contracts.get((org.pk, rec["contract"]))
            if contract is None:
                plan.error(number, "contract", _("The organisation has no contract with this number."))
            values["contract"] = contract
        if plan.error_count > errors_before or org is None or klass is None:
            continue

        key = ("tag", org.pk, rec["asset_tag"]) if rec.get("asset_tag") else (
            ("serial", org.pk, rec["serial"]) if rec.get("serial") else ("name", org.pk, klass.pk, rec["name"]))
        if key in seen_keys:
            plan.error(number, key[0] if key[0] != "tag" else "asset_tag",
                       _("Same CI as row %(row)s.") % {"row": seen_keys[key]})
            continue
        seen_keys[key] = number
        ci, problem = _match(rec, org, klass, existing)
        if problem:
            plan.error(number, problem[0], problem[1])
            continue
        attr_input = {k[len(ATTR_PREFIX):]: v for k, v in rec.items() if k.startswith(ATTR_PREFIX) and v}
        base_attributes = dict(ci.attributes) if ci is not None and ci.ci_class_id == klass.pk else {}
        cleaned, attr_errors = clean_values(klass.attributes or [], {**base_attributes, **attr_input})
        for name, message in attr_errors.items():
            plan.error(number, f"{ATTR_PREFIX}{name}", message)
        if attr_errors:
            continue
        if values.get("purchase_date") and values.get("warranty_end") and values["warranty_end"] < values[
                "purchase_date"]:
            plan.error(number, "warranty_end", _("The warranty cannot end before the purchase date."))
            continue
        values["attributes"] = cleaned
        if ci is None:
            new = CI(organization=org, ci_class=klass, status=values.pop("status", CIStatus.IN_USE))
            plan.planned.append(PlannedRow(row=number, ci=new, changes=values, create=True))
            continue
        if klass.pk != ci.ci_class_id:
            values["ci_class"] = klass
        changes = {k: v for k, v in values.items()
                   if (getattr(ci, f"{k}_id") != (v.pk if v is not None else None) if k in ("contract", "ci_class")
                       else getattr(ci, k) != v)}
        if changes:
            plan.planned.append(PlannedRow(row=number, ci=ci, changes=changes, create=False))
        else:
            plan.unchanged += 1
    return plan


@dataclass
class _Existing:
    by_tag: dict[tuple[int, str], CI] = field(default_factory=dict)
    by_serial: dict[tuple[int, str], list[CI]] = field(default_factory=dict)
    by_name: dict[tuple[int, int, str], list[CI]] = field(default_factory=dict)


def _existing(records: list[tuple[int, dict[str, str]]], orgs: dict[str, Organization], *, lock: bool) -> _Existing:
    """Every CI a row could match: one query per CHUNK keys (serials and asset tags together), with
    classes and contracts attached from two small look-ups instead of a join per row."""
    found = _Existing()
    tags: set[tuple[int, str]] = set()
    serials: set[tuple[int, str]] = set()
    names: set[tuple[int, str]] = set()
    for _n, rec in records:
        org = orgs.get(rec["organization"])
        if org is None:
            continue
        if rec.get("asset_tag"):
            tags.add((org.pk, rec["asset_tag"]))
        if rec.get("serial"):
            serials.add((org.pk, rec["serial"]))
        if not rec.get("asset_tag") and not rec.get("serial") and rec.get("name"):
            names.add((org.pk, rec["name"]))
    org_ids = {o.pk for o in orgs.values()}
    matched: dict[int, CI] = {}
    keys = [("asset_tag", v) for v in sorted({v for _o, v in tags})] + [
        ("serial", v) for v in sorted({v for _o, v in serials})] + [("name", v) for v in sorted({v for _o, v in names})]
    for chunk in _chunks(keys):
        query = Q()
        for column in ("asset_tag", "serial", "name"):
            values = [v for c, v in chunk if c == column]
            if values:
                query |= Q(**{f"{column}__in": values})
        qs = CI.objects.filter(query, organization_id__in=org_ids).order_by("id")
        if lock:
            qs = qs.select_for_update()
        for ci in qs:
            matched.setdefault(ci.pk, ci)
    classes = {c.pk: c for c in CIClass.objects.filter(pk__in={ci.ci_class_id for ci in matched.values()})}
    contracts = MaintenanceContract.objects.in_bulk({ci.contract_id for ci in matched.values() if ci.contract_id})
    for ci in matched.values():
        ci.ci_class = classes[ci.ci_class_id]
        ci.contract = contracts.get(ci.contract_id) if ci.contract_id else None
        org_id = ci.organization_id
        if ci.asset_tag and (org_id, ci.asset_tag) in tags:
            found.by_tag[(org_id, ci.asset_tag)] = ci
        if ci.serial and (org_id, ci.serial) in serials:
            found.by_serial.setdefault((org_id, ci.serial), []).append(ci)
        if (org_id, ci.name) in names:
            found.by_name.setdefault((org_id, ci.ci_class_id, ci.name), []).append(ci)
    return found


def _match(rec: dict[str, str], org: Organization, klass: CIClass,
           existing: _Existing) -> tuple[CI | None, tuple[str, str] | None]:
    by_tag = existing.by_tag.get((org.pk, rec["asset_tag"])) if rec.get("asset_tag") else None
    by_serial = existing.by_serial.get((org.pk, rec["serial"]), []) if rec.get("serial") else []
    if by_tag is not None:
        if by_serial and by_tag not in by_serial:
            return None, ("serial", _("The asset tag and the serial number belong to different CIs."))
        return by_tag, None
    if len(by_serial) > 1:
        return None, ("serial", _("Several CIs of the organisation have this serial number; add the asset tag."))
    if by_serial:
        return by_serial[0], None
    if not rec.get("asset_tag") and not rec.get("serial"):
        by_name = existing.by_name.get((org.pk, klass.pk, rec["name"]), [])
        if len(by_name) > 1:
            return None, ("name", _("Several CIs have this class and name; add the serial number or asset tag."))
        if by_name:
            return by_name[0], None
    return None, None


# --- export ----------------------------------------------------------------------------------

def export_header(classes: Iterable[CIClass]) -> tuple[list[str], list[str]]:
    """(header, attribute names) for an export of CIs of these classes."""
    names: list[str] = []
    for klass in classes:
        for definition in klass.attributes or []:
            if isinstance(definition, dict) and definition.get("name") and definition["name"] not in names:
                names.append(definition["name"])
    return [*COLUMNS, *(f"{ATTR_PREFIX}{n}" for n in names)], names


def export_values(ci: CI, attribute_names: list[str]) -> list[Any]:
    """One CI as a row of the import format (so an exported file imports back unchanged)."""
    row: list[Any] = [ci.organization.code, ci.ci_class.code, ci.name, ci.status, ci.site, ci.building, ci.floor,
                      ci.room, ci.rack, ci.location, ci.serial, ci.asset_tag, ci.vendor, ci.model,
                      ci.purchase_date.isoformat() if ci.purchase_date else "",
                      ci.warranty_end.isoformat() if ci.warranty_end else "",
                      ci.contract.number if ci.contract_id and ci.contract else ""]
    attributes = ci.attributes or {}
    for name in attribute_names:
        value = attributes.get(name)
        row.append("" if value is None else ("yes" if value is True else "no" if value is False else value))
    return row


def export_response(qs: Any, *, kind: str, filename: str) -> Any:
    """An HTTP download of the CIs of `qs` (already filtered and permission-scoped) in the import
    format: CSV streamed row by row, or an .xlsx built with openpyxl's write-only mode."""
    from django.http import HttpResponse, StreamingHttpResponse

    qs = qs.select_related("ci_class", "organization", "contract").order_by("organization_id", "name", "id")
    classes = CIClass.objects.filter(pk__in=qs.order_by().values("ci_class_id").distinct()).order_by("code")
    header, attribute_names = export_header(classes)
    rows = (export_values(ci, attribute_names) for ci in qs.iterator(chunk_size=2000))
    if kind == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("CIs")
        sheet.append(xlsx_row(sheet, header))
        for row in rows:
            sheet.append(xlsx_row(sheet, row))
        buffer = io.BytesIO()
        workbook.save(buffer)
        download = HttpResponse(buffer.getvalue(),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        download["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
        return download

    class Echo:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(Echo())

    def lines() -> Iterator[str]:
        yield "\ufeff"  # BOM: Excel then opens UTF-8 Chinese text correctly
        yield writer.writerow(csv_row(header))
        for row in rows:
            yield writer.writerow(csv_row(row))

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response
