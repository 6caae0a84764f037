"""Import from CSV and Excel: dry run writes nothing, row errors name row and column, re-runs are
idempotent, matching by asset tag / serial within the organisation, history written."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook

from cmdb.models import CI, CIChange
from cmdb.services import ci_import
from cmdb.transfer import ImportFileError
from tests.factories import CIFactory

pytestmark = pytest.mark.django_db

HEADER = "organization,ci_class,name,status,site,building,floor,room,serial,asset_tag,warranty_end,attr:ram_gb\n"


def csv_bytes(*lines: str) -> bytes:
    return (HEADER + "".join(line + "\n" for line in lines)).encode()


def run(content: bytes, *, actor, now, dry_run=False, filename="cis.csv"):
    return ci_import(content=content, filename=filename, actor=actor, now=now, dry_run=dry_run)


def test_dry_run_reports_and_writes_nothing_then_real_run_is_idempotent(classes, org_a, operator, now):
    content = csv_bytes("org-a,srv,web-1,in_use,HQ,A,3,301,SN1,,2027-01-31,64",
                        "org-a,sw,sw-1,,HQ,A,3,301,SN2,AT-2,,",
                        "org-a,app,portal,standby,,,,,,,,")
    report = run(content, actor=operator, now=now, dry_run=True)
    assert (report.rows, report.created, report.updated, report.error_count) == (3, 3, 0, 0)
    assert not CI.objects.exists() and not CIChange.objects.exists()
    report = run(content, actor=operator, now=now)
    assert report.written and report.created == 3
    web = CI.objects.get(serial="SN1")
    assert web.location == "HQ / A / 3 / 301" and web.attributes == {"ram_gb": 64}
    assert web.warranty_end == date(2027, 1, 31)
    assert CIChange.objects.filter(ci=web, field="created", source="import").exists()
    again = run(content, actor=operator, now=now)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert CI.objects.count() == 3 and CIChange.objects.count() == 3


def test_update_by_serial_and_by_asset_tag_records_history(classes, org_a, org_b, operator, now):
    run(csv_bytes("org-a,srv,web-1,,,,,,SN1,,,64", "org-a,sw,sw-1,,,,,,,AT-2,,"), actor=operator, now=now)
    report = run(csv_bytes("org-a,srv,web-1 renamed,under_repair,,,,,SN1,,,128",
                           "org-a,sw,sw-1,,,,,,SN-NEW,AT-2,,",
                           "org-b,srv,web-1,,,,,,SN1,,,8"),  # same serial, other organisation: a new CI
                 actor=operator, now=now)
    assert (report.created, report.updated, report.error_count) == (1, 2, 0)
    web = CI.objects.get(serial="SN1", organization=org_a)
    assert (web.name, web.status, web.attributes, web.version) == ("web-1 renamed", "under_repair", {"ram_gb": 128}, 2)
    changes = set(CIChange.objects.filter(ci=web).values_list("field", "old", "new"))
    assert {("name", "web-1", "web-1 renamed"), ("status", "in_use", "under_repair"),
            ("attr:ram_gb", "64", "128")} <= changes
    assert CI.objects.get(asset_tag="AT-2").serial == "SN-NEW"


def test_bad_rows_are_reported_with_row_and_column_and_nothing_is_written(classes, org_a, operator, now):
    content = csv_bytes("org-a,srv,ok-1,,,,,,SN1,,,64",
                        "nowhere,srv,x,,,,,,SN2,,,64",  # row 3: organisation
                        "org-a,toaster,x,,,,,,SN3,,,",  # row 4: class
                        "org-a,srv,,,,,,,SN4,,,64",  # row 5: name
                        "org-a,srv,x,broken,,,,,SN5,,,64",  # row 6: status
                        "org-a,srv,x,,,,,,SN6,,31.12.2027,64",  # row 7: date
                        "org-a,srv,x,,,,,,SN7,,,many",  # row 8: attribute type
                        "org-a,srv,x,,,,,,SN8,,,",  # row 9: required attribute
                        "org-a,srv,dup,,,,,,SN1,,,64")  # row 10: same CI as row 2
    for dry_run in (True, False):
        report = run(content, actor=operator, now=now, dry_run=dry_run)
        found = {(e.row, e.column) for e in report.errors}
        assert found == {(3, "organization"), (4, "ci_class"), (5, "name"), (6, "status"), (7, "warranty_end"),
                         (8, "attr:ram_gb"), (9, "attr:ram_gb"), (10, "serial")}
        assert not report.written
    assert not CI.objects.exists() and not CIChange.objects.exists()


def test_header_problems_and_unreadable_files(classes, operator, now):
    report = run(b"organization,name,colour\norg-a,x,red\n", actor=operator, now=now, dry_run=True)
    assert {(e.row, e.column) for e in report.errors} == {(1, "colour"), (1, "ci_class")}
    with pytest.raises(ImportFileError):
        run(b"", actor=operator, now=now, dry_run=True)
    with pytest.raises(ImportFileError):
        run(b"PK\x03\x04garbage", actor=operator, now=now, dry_run=True, filename="x.xlsx")


def test_xlsx_with_native_cells_and_gbk_csv(classes, org_a, operator, now):
    wb = Workbook()
    ws = wb.active
    ws.append(["organization", "ci_class", "name", "serial", "purchase_date", "attr:ram_gb", "attr:virtual"])
    ws.append(["org-a", "srv", "数据库服务器", 12345, date(2024, 5, 1), 32, "是"])
    buffer = io.BytesIO()
    wb.save(buffer)
    report = run(buffer.getvalue(), actor=operator, now=now, filename="estate.xlsx")
    assert report.written and report.created == 1, report.errors
    ci = CI.objects.get(serial="12345")
    assert ci.purchase_date == date(2024, 5, 1) and ci.attributes == {"ram_gb": 32, "virtual": True}
    gbk = "organization,ci_class,name,serial\norg-a,sw,楼层交换机,SW-9\n".encode("gb18030")
    assert run(gbk, actor=operator, now=now).created == 1
    assert CI.objects.filter(name="楼层交换机").exists()


def test_export_round_trips_through_import(classes, org_a, operator, now, client_as):
    run(csv_bytes("org-a,srv,web-1,in_use,HQ,A,3,301,SN1,AT-1,2027-01-31,64"), actor=operator, now=now)
    client = client_as(operator)
    for kind in ("csv", "xlsx"):
        response = client.get(f"/api/v1/cis/export/?file={kind}&organization={org_a.pk}",
                              HTTP_ACCEPT="*/*")
        assert response.status_code == 200
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if kind == "xlsx":
            rows = list(load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True))
            assert rows[1][2] == "web-1"
        report = run(body, actor=operator, now=now, filename=f"export.{kind}")
        assert (report.unchanged, report.created, report.updated, report.error_count) == (1, 0, 0, 0), report.errors


FORMULA_NAMES = ["=HYPERLINK(\"http://evil.example\";\"x\")", "@SUM(1+1)", "+1+2", "-2+3", "'=already quoted"]


def test_formula_like_names_are_written_as_text_and_round_trip(classes, org_a, operator, now, client_as):
    """Issue #11 finding 1: a CI name that starts like a formula is never a live formula in an export,
    and the export imports back to the original names."""
    for name in FORMULA_NAMES:
        CIFactory(organization=org_a, ci_class=classes["switch"], name=name)
    client = client_as(operator)
    for kind in ("csv", "xlsx"):
        response = client.get(f"/api/v1/cis/export/?file={kind}&organization={org_a.pk}", HTTP_ACCEPT="*/*")
        assert response.status_code == 200
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if kind == "csv":
            cells = [row[2] for row in csv.reader(io.StringIO(body.decode("utf-8-sig")))][1:]
            assert all(not c or c[0] not in "=+-@" for c in cells), cells
        else:
            sheet = load_workbook(io.BytesIO(body)).active
            cells = [row[2] for row in sheet.iter_rows(min_row=2)]
            assert {c.value for c in cells} == set(FORMULA_NAMES)
            assert all(c.data_type == "s" and c.quotePrefix for c in cells)
        report = run(body, actor=operator, now=now, filename=f"export.{kind}")
        assert (report.unchanged, report.created, report.error_count) == (len(FORMULA_NAMES), 0, 0), report.errors
    assert set(CI.objects.filter(organization=org_a).values_list("name", flat=True)) == set(FORMULA_NAMES)
