"""Staff pages (archive + request form, detail with htmx progress, schedules, dashboard, incident
export) and the customer portal's report list and downloads."""

from __future__ import annotations

import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from reports.models import ReportRun, ReportSchedule
from reports.services import report_publish, report_request

from .helpers import MONTH

pytestmark = pytest.mark.django_db


def _run(boss, org, period=MONTH):
    return report_request(actor=boss, kind="monthly_fault_summary", period=period, organization=org, options={},
                          language="en", now=timezone.now())


def test_request_from_the_page_and_follow_progress(october, boss, client, django_capture_on_commit_callbacks):
    client.force_login(boss)
    page = client.get("/reports/")
    assert page.status_code == 200 and b"Generate a report" in page.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/reports/", {"kind": "monthly_fault_summary", "period": MONTH,
                                             "organization": october["org"].pk, "language": "en",
                                             "summary": "All quiet"})
    run = ReportRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/reports/{run.pk}/"
    assert run.options == {"summary": "All quiet"} and run.requested_by == boss
    detail = client.get(f"/reports/{run.pk}/")
    assert detail.status_code == 200 and b"Download PDF" in detail.content
    fragment = client.get(f"/reports/{run.pk}/progress/", HTTP_HX_REQUEST="true")
    assert b"hx-trigger" not in fragment.content  # finished: the fragment stops polling
    pdf = client.get(f"/reports/{run.pk}/pdf/")
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")
    listing = client.get("/reports/", {"status": "done"})
    assert f"/reports/{run.pk}/".encode() in listing.content


def test_page_errors_are_field_errors(october, boss, client):
    client.force_login(boss)
    response = client.post("/reports/", {"kind": "monthly_fault_summary", "period": "2026-Q4", "language": "en"})
    assert response.status_code == 200 and b"field-error" in response.content
    assert not ReportRun.objects.exists()
    assert client.get("/reports/", {"status": "bogus"}).status_code == 200


def test_progress_fragment_polls_while_queued(october, boss, client, django_capture_on_commit_callbacks):
    client.force_login(boss)
    with django_capture_on_commit_callbacks(execute=False):
        run = _run(boss, october["org"])
    fragment = client.get(f"/reports/{run.pk}/progress/")
    assert b'hx-trigger="every 1s"' in fragment.content and b"<progress" in fragment.content


def test_publish_from_the_page(october, boss, client, django_capture_on_commit_callbacks):
    client.force_login(boss)
    with django_capture_on_commit_callbacks(execute=True):
        run = _run(boss, october["org"])
    client.post(f"/reports/{run.pk}/publish/", {"published": "1"})
    run.refresh_from_db()
    assert run.published and run.published_by == boss


def test_schedule_pages(october, boss, client):
    client.force_login(boss)
    assert client.get("/reports/schedules/").status_code == 200
    form = client.get("/reports/schedules/new/")
    assert form.status_code == 200 and b'value="monthly_fault_summary"' in form.content
    response = client.post("/reports/schedules/new/", {
        "name": "Alpha pack", "organization": october["org"].pk, "kinds": ["monthly_fault_summary"],
        "recipients": "a@alpha.example\nb@alpha.example", "language": "zh-hans", "publish": "on",
        "is_active": "on"})
    schedule = ReportSchedule.objects.get()
    assert response.status_code == 302 and schedule.recipient_list == ["a@alpha.example", "b@alpha.example"]
    bad = client.post(f"/reports/schedules/{schedule.pk}/", {"name": "x", "kinds": ["monthly_fault_summary"],
                                                             "recipients": "nope", "language": "en"})
    assert bad.status_code == 200 and b"Not e-mail addresses" in bad.content


def test_dashboard(october, boss, client):
    client.force_login(boss)
    page = client.get("/reports/dashboard/")
    assert page.status_code == 200 and b"<svg" in page.content and b"SLA attainment this month" in page.content
    assert client.get("/reports/dashboard/", {"organization": october["org"].pk}).status_code == 200
    assert client.get("/reports/dashboard/", {"organization": "x" * 40}).status_code == 200


def test_incident_export_follows_the_list_filters(october, boss, client):
    client.force_login(boss)
    response = client.get("/reports/export/incidents.xlsx", {"organization": october["org"].pk, "month": MONTH,
                                                             "fault_level": "II"})
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0][0] == "Number"
    assert sorted(r[0] for r in rows[1:]) == sorted([october["i2"].number, october["i6"].number])
    assert all(r[2] == "II – major" for r in rows[1:])
    bad = client.get("/reports/export/incidents.xlsx", {"month": "13-2026"})
    assert bad.status_code == 302  # back to the list with the filter error as a message
    listing = client.get("/incidents/", {"fault_level": "II"})
    assert b"/reports/export/incidents.xlsx?fault_level=II" in listing.content


def test_customers_get_404_on_staff_pages(october, boss, customer_alpha, client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run = _run(boss, october["org"])
    report_publish(run_id=run.pk, actor=boss, now=timezone.now())
    client.force_login(customer_alpha)
    for url in ("/reports/", "/reports/dashboard/", f"/reports/{run.pk}/", f"/reports/{run.pk}/pdf/",
                "/reports/schedules/", "/reports/export/incidents.xlsx"):
        assert client.get(url).status_code == 404, url


def test_portal_lists_and_serves_published_reports(october, boss, customer_alpha, customer_other, client,
                                                   django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        published = _run(boss, october["org"])
        draft = _run(boss, october["org"], "2026-09")
    report_publish(run_id=published.pk, actor=boss, now=timezone.now())
    client.force_login(customer_alpha)
    page = client.get("/portal/reports/")
    assert page.status_code == 200
    assert f"/portal/reports/{published.pk}/pdf/".encode() in page.content
    assert f"/portal/reports/{draft.pk}/".encode() not in page.content
    pdf = client.get(f"/portal/reports/{published.pk}/pdf/")
    published.refresh_from_db()
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content) == published.file.open("rb").read()
    assert client.get(f"/portal/reports/{published.pk}/xlsx/").status_code == 200
    assert client.get(f"/portal/reports/{draft.pk}/pdf/").status_code == 404
    client.force_login(customer_other)
    assert f"/portal/reports/{published.pk}/".encode() not in client.get("/portal/reports/").content
    assert client.get(f"/portal/reports/{published.pk}/pdf/").status_code == 404


def test_incident_export_writes_formula_like_titles_as_text(october, boss, client):
    """Issue #11 finding 1: a customer's title is text in the workbook, never a live formula."""
    from incidents.models import Incident

    evil = '=HYPERLINK("http://evil.example","Click")'
    Incident.objects.filter(pk=october["i2"].pk).update(title=evil)
    Incident.objects.filter(pk=october["i6"].pk).update(title="@SUM(1+1)")
    client.force_login(boss)
    response = client.get("/reports/export/incidents.xlsx", {"organization": october["org"].pk, "month": MONTH,
                                                             "fault_level": "II"})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    titles = {row[1].value: row[1] for row in sheet.iter_rows(min_row=2)}
    assert set(titles) == {evil, "@SUM(1+1)"}
    assert all(cell.data_type == "s" and cell.quotePrefix for cell in titles.values())


def test_report_workbooks_write_formula_like_cells_as_text():
    """The report workbooks (daily log, monthly summary, …) share one writer: every cell is neutralised."""
    from reports.excel import tables_xlsx_bytes
    from reports.registry import Table

    data = tables_xlsx_bytes([Table(title="Log", headers=["=Title"], rows=[["-1+cmd|' /C calc'!A0", 3, "plain"]])])
    sheet = load_workbook(io.BytesIO(data)).active
    header, row = list(sheet.iter_rows())
    assert header[0].value == "=Title" and header[0].data_type == "s"
    assert row[0].value == "-1+cmd|' /C calc'!A0" and row[0].data_type == "s" and row[0].quotePrefix
    assert row[1].value == 3 and row[2].value == "plain" and not row[2].quotePrefix
