"""Browser journey (system Chromium): a manager asks for the monthly fault summary, watches the
progress bar update itself (htmx polling) while the job runs, downloads the PDF, publishes it; the
dashboard renders on a phone-sized screen."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from reports.models import ReportRun
from reports.services import report_generate
from tests.factories import PASSWORD
from tests.portal.conftest import run_with_browser  # noqa: F401 - the fixture, shared

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_request_follow_download_publish(run_with_browser, live_server, october, boss, monkeypatch, tmp_path):  # noqa: F811
    from reports import services

    monkeypatch.setattr(services, "_queue_generation", lambda run_id: None)  # the test plays the worker
    boss.set_password(PASSWORD)
    boss.save()
    artifacts = Path(__file__).resolve().parents[2] / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    run_with_browser(lambda browser: journey(browser, live_server, october, artifacts))


def journey(browser: Any, live_server: Any, october: dict[str, Any], artifacts: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US",
                                  timezone_id="Asia/Shanghai", accept_downloads=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/login/?next=/reports/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/reports/$"))
    page.select_option("#id_kind", "monthly_fault_summary")
    page.fill("#id_period", "2026-10")
    page.select_option("#id_organization", str(october["org"].pk))
    page.select_option("#id_language", "en")
    page.fill("#id_summary", "Quiet month.")
    page.click("form.form button[type=submit]")
    page.wait_for_url(re.compile(r"/reports/\d+/$"))
    page.wait_for_selector("#run-progress progress")
    run = ReportRun.objects.get()
    assert run.status == "queued"
    page.screenshot(path=str(artifacts / "reports-01-queued.png"), full_page=True)
    report_generate(run_id=run.pk, now=timezone.now())  # the worker
    page.wait_for_selector("text=Download PDF")  # the polling fragment swapped itself in
    with page.expect_download() as info:
        page.click("text=Download PDF")
    assert Path(info.value.path()).read_bytes().startswith(b"%PDF")
    page.click("text=Publish to the customer portal")
    page.wait_for_selector("text=Withdraw from the portal")
    run.refresh_from_db()
    assert run.published
    page.screenshot(path=str(artifacts / "reports-02-done.png"), full_page=True)
    phone = browser.new_context(viewport={"width": 375, "height": 812}, locale="en-US", is_mobile=True,
                                has_touch=True, storage_state=context.storage_state())
    small = phone.new_page()
    small.goto(f"{live_server.url}/reports/dashboard/")
    small.wait_for_selector("svg")
    width = small.evaluate("document.documentElement.scrollWidth")
    assert width <= 380, width  # nothing wider than the phone's screen
    small.screenshot(path=str(artifacts / "reports-03-dashboard-phone.png"), full_page=True)
    phone.close()
    context.close()
