"""Report runs: request → Celery job (in process) with progress → archived PDF + Excel; the API's
shapes and errors; who sees what (customers: their organisation's published runs only)."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from openpyxl import load_workbook

from reports.choices import RunStatus
from reports.kinds.monthly_fault_summary import figure_rows
from reports.models import ReportRun
from reports.services import report_build, report_generate, report_publish, report_request
from reports.tasks import report_generate_task

from .helpers import MONTH, pdf_fonts, pdf_text

pytestmark = pytest.mark.django_db


def request_run(actor, org, *, language="en", period=MONTH, **kw):
    return report_request(actor=actor, kind="monthly_fault_summary", period=period, organization=org, options=kw,
                          language=language, now=timezone.now())


def test_generation_runs_after_commit_and_records_progress(october, boss, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = request_run(boss, october["org"])
    assert run.status == RunStatus.QUEUED and run.progress == 0 and len(callbacks) == 1
    assert run.period_start.isoformat() == "2026-10-01T00:00:00+08:00"
    callbacks[0]()  # the on-commit hook queues the task; eager Celery runs it here
    run.refresh_from_db()
    assert run.status == RunStatus.DONE, run.error
    assert run.progress == 100 and run.attempts == 1 and run.pages >= 2
    assert run.started_at <= run.finished_at
    data = run.file.read()
    assert data.startswith(b"%PDF") and hashlib.sha256(data).hexdigest() == run.sha256 and len(data) == run.size


def test_task_is_safe_to_run_twice(october, boss, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run = request_run(boss, october["org"])
    run.refresh_from_db()
    sha, path, finished = run.sha256, run.file.name, run.finished_at
    report_generate_task.apply(args=[run.pk])
    report_generate(run_id=run.pk, now=timezone.now())
    run.refresh_from_db()
    assert (run.sha256, run.file.name, run.finished_at, run.attempts) == (sha, path, finished, 1)


def test_progress_is_visible_while_building(october, boss, monkeypatch, django_capture_on_commit_callbacks):
    """Each step's progress is written (its own statement) before the next step starts."""
    from reports import services

    seen = []
    original = services._set_progress

    def spy(run_id, progress, message):
        original(run_id, progress, message)
        seen.append(ReportRun.objects.values_list("status", "progress").get(pk=run_id))

    monkeypatch.setattr(services, "_set_progress", spy)
    with django_capture_on_commit_callbacks(execute=True):
        run = request_run(boss, october["org"])
    assert seen == [("running", 15), ("running", 50), ("running", 85)]
    run.refresh_from_db()
    assert run.progress == 100


def test_a_failing_kind_is_recorded_not_raised(october, boss, django_capture_on_commit_callbacks):
    from reports.registry import kind_get

    kind = kind_get("monthly_fault_summary")
    original = kind.build

    def broken(inp):
        raise RuntimeError("figures exploded")

    object.__setattr__(kind, "build", broken)  # ReportKind is a frozen dataclass
    try:
        with django_capture_on_commit_callbacks(execute=True):
            run = request_run(boss, october["org"])
        run.refresh_from_db()
        assert run.status == RunStatus.FAILED and "figures exploded" in run.error and not run.file
        assert run.finished_at is not None and run.message
    finally:
        object.__setattr__(kind, "build", original)


def test_request_validation(october, boss, customer_alpha):
    cases = [
        ({"kind": "nope", "period": MONTH}, "kind"),
        ({"kind": "monthly_fault_summary", "period": "2026-13"}, "period"),
        ({"kind": "monthly_fault_summary", "period": "2026-Q3"}, "period"),
        ({"kind": "monthly_fault_summary", "period": MONTH, "language": "fr"}, "language"),
        ({"kind": "monthly_fault_summary", "period": MONTH, "organization": 999999}, "organization"),
    ]
    for kwargs, field in cases:
        args = {"organization": october["org"].pk, "language": "en", **kwargs}
        with pytest.raises(ValidationError) as exc:
            report_request(actor=boss, options={}, now=timezone.now(), **args)
        assert field in exc.value.message_dict, kwargs
    with pytest.raises(ValidationError) as exc:
        report_request(actor=customer_alpha, kind="monthly_fault_summary", period=MONTH,
                       organization=october["other"].pk, options={}, language="en", now=timezone.now())
    assert "organization" in exc.value.message_dict


def test_excel_matches_the_pdf_context(october, boss, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run = request_run(boss, october["org"])
    run.refresh_from_db()
    wb = load_workbook(io.BytesIO(run.xlsx.read()), read_only=True)
    _kind, ctx = report_build(run, now=timezone.now())
    sheet = wb[wb.sheetnames[0]]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Figure", "Value", "Unit")
    assert [r[:2] for r in rows[1:]] == [(str(label), value) for label, value, _unit in figure_rows(ctx)]
    assert "Trend" in wb.sheetnames and "Breaches" in wb.sheetnames
    trend = list(wb["Trend"].iter_rows(values_only=True))
    assert trend[-1][0] == "2026-10" and trend[-1][5] == ctx["figures"]["faults"]
    assert hashlib.sha256(run.xlsx.open("rb").read()).hexdigest() == run.xlsx_sha256


def test_chinese_pdf_embeds_a_cjk_font_and_header(october, boss, tmp_path, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run = request_run(boss, october["org"], language="zh-hans")
    run.refresh_from_db()
    data = run.file.read()
    fonts = pdf_fonts(data, tmp_path)
    cjk = [line for line in fonts.splitlines() if "CJK" in line]
    assert cjk, fonts
    assert all(" yes " in line for line in cjk)  # embedded (subset)
    text = pdf_text(data, tmp_path)
    assert "市公安局 Alpha" in text and "路口摄像机-01" in text  # Chinese glyphs came through as text
    assert "2026年10月" in text  # the period in the header, said the Chinese way
    assert text.count("市公安局 Alpha") >= run.pages  # the running header on every page (cover: in the title block)


def test_api_request_and_follow(october, boss, api_as, django_capture_on_commit_callbacks):
    client = api_as(boss)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/reports/", {"kind": "monthly_fault_summary", "period": MONTH,
                                                    "organization": october["org"].pk, "language": "en",
                                                    "options": {"summary": "Stable month."}}, format="json")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "queued" and body["progress"] == 0 and body["kind"] == "monthly_fault_summary"
    assert body["organization"] == october["org"].pk and body["period"] == MONTH and body["file_url"] is None
    detail = client.get(f"/api/v1/reports/{body['id']}/").json()
    assert detail["status"] == "done" and detail["progress"] == 100 and detail["file_url"].endswith(
        f"/api/v1/reports/{body['id']}/file/")
    first = client.get(f"/api/v1/reports/{body['id']}/file/")
    assert first.status_code == 200 and first["Content-Type"] == "application/pdf"
    pdf = b"".join(first.streaming_content)
    again = b"".join(client.get(detail["file_url"]).streaming_content)
    assert pdf == again and hashlib.sha256(pdf).hexdigest() == detail["sha256"]  # same bytes every time
    xlsx = client.get(f"/api/v1/reports/{body['id']}/file/", {"format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert b"".join(xlsx.streaming_content) == b"".join(client.get(f"/api/v1/reports/{body['id']}/xlsx/")
                                                       .streaming_content)
    listing = client.get("/api/v1/reports/", {"status": "done", "kind": "monthly_fault_summary"}).json()
    assert [r["id"] for r in listing["results"]] == [body["id"]]
    kinds = client.get("/api/v1/reports/kinds/").json()
    assert {"code": "monthly_fault_summary", "title": "Monthly fault summary", "scope": "period",
            "period_kinds": ["month"]} in kinds


def test_api_errors(october, boss, api_as):
    client = api_as(boss)
    bad = client.post("/api/v1/reports/", {"kind": "nope", "period": MONTH}, format="json")
    assert bad.status_code == 400 and "kind" in bad.json()
    bad = client.post("/api/v1/reports/", {"kind": "monthly_fault_summary", "period": "2026-Q4"}, format="json")
    assert bad.status_code == 400 and "period" in bad.json()
    assert client.get("/api/v1/reports/abc/").status_code == 404
    assert client.get("/api/v1/reports/99999999/file/").status_code == 404


def test_customers_see_only_their_published_runs(october, boss, customer_alpha, customer_other, api_as,
                                                 django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        mine = request_run(boss, october["org"])
        draft = request_run(boss, october["org"], period="2026-09")
        theirs = request_run(boss, october["other"])
        everyone = request_run(boss, None)
    for run in (mine, theirs):
        report_publish(run_id=run.pk, actor=boss, now=timezone.now())
    with pytest.raises(ValidationError):
        report_publish(run_id=everyone.pk, actor=boss, now=timezone.now())  # all-organisation packs stay inside
    client = api_as(customer_alpha)
    assert [r["id"] for r in client.get("/api/v1/reports/").json()["results"]] == [mine.pk]
    assert client.get(f"/api/v1/reports/{mine.pk}/file/").status_code == 200
    for hidden in (draft, theirs, everyone):
        assert client.get(f"/api/v1/reports/{hidden.pk}/").status_code == 404
        assert client.get(f"/api/v1/reports/{hidden.pk}/file/").status_code == 404
    refused = client.post("/api/v1/reports/", {"kind": "monthly_fault_summary", "period": MONTH,
                                               "organization": october["org"].pk}, format="json")
    assert refused.status_code == 403
    assert client.post(f"/api/v1/reports/{mine.pk}/publish/", {"published": False}, format="json").status_code == 404
    other = api_as(customer_other)
    assert [r["id"] for r in other.get("/api/v1/reports/").json()["results"]] == [theirs.pk]


def test_publishing_is_for_managers(october, boss, tech, api_as, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run = request_run(boss, october["org"])
    assert api_as(tech).post(f"/api/v1/reports/{run.pk}/publish/", {}, format="json").status_code == 403
    ok = api_as(boss).post(f"/api/v1/reports/{run.pk}/publish/", {}, format="json")
    assert ok.status_code == 200 and ok.json()["published"] is True and ok.json()["published_by"] == boss.pk
    back = api_as(boss).post(f"/api/v1/reports/{run.pk}/publish/", {"published": False}, format="json")
    assert back.json()["published"] is False
