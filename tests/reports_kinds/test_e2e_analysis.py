"""Browser journey of the fault analyst on a phone-sized screen (system Chromium): from the incident
page's panel to the editor, write the analysis, publish it, download the frozen PDF. Screenshots go
to test-artifacts/reports-analysis-*.png."""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from django.utils import timezone

from accounts.choices import Role
from incidents.services import incident_create, incident_transition
from reports.analysis_models import FaultAnalysisVersion
from tests.e2e.conftest import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from tests.factories import PASSWORD, CIFactory, OrganizationFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def in_browser_thread() -> Callable[[Callable[[Any], Any]], Any]:
    """Run a journey with its own sync Playwright in a thread (another journey may hold this thread's loop)."""
    if not Path(CHROMIUM).exists():
        pytest.skip("system Chromium not installed at /usr/bin/chromium")

    def run(journey: Callable[[Any], Any]) -> Any:
        def in_thread() -> Any:
            from playwright.sync_api import sync_playwright

            try:
                with sync_playwright() as playwright:
                    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                    try:
                        return journey(browser)
                    finally:
                        browser.close()
                        connections.close_all()
            finally:
                connections.close_all()

        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(in_thread).result()

    return run


def test_analyst_writes_and_publishes_the_fault_analysis_on_a_phone(in_browser_thread, live_server):
    ARTIFACTS.mkdir(exist_ok=True)
    in_browser_thread(lambda browser: journey(browser, live_server, ARTIFACTS))


def journey(browser: Any, live_server: Any, artifacts: Path) -> None:
    org = OrganizationFactory(name="City Traffic Police", code="traffic")
    ci = CIFactory(organization=org, name="Junction camera 12", location="Ring road / 5th street")
    lead = UserFactory(username="lead_e2e", role=Role.MANAGER)
    engineer = UserFactory(username="eng_e2e", role=Role.ENGINEER)
    UserFactory(username="analyst_e2e", name="Wang Fenxi", role=Role.ANALYST)
    now = timezone.now()
    inc = incident_create(actor=lead, organization=org, title="Junction camera black", ci=ci, impact="high",
                          urgency="high", description="No picture from junction 12", now=now)
    payload = {"assignee": engineer.pk, "cause_category": "power", "resolution": "Replaced the PSU",
               "workaround": "Mobile camera placed"}
    for action, actor in (("assign", lead), ("accept", engineer), ("restore", engineer), ("resolve", engineer)):
        incident_transition(incident_id=inc.pk, actor=actor, action=action, payload=payload, now=now)

    context = browser.new_context(viewport=PHONE, locale="en-US", timezone_id="Asia/Shanghai",
                                  device_scale_factor=2, is_mobile=True, has_touch=True, accept_downloads=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/login/?next=/incidents/{inc.pk}/")
    page.fill("#id_username", "analyst_e2e")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(rf"/incidents/{inc.pk}/$"))
    panel = page.locator("#fault-analysis-panel")
    panel.wait_for()  # loaded by htmx into the incident page's aside
    assert "Not started." in panel.inner_text()
    panel.locator("a", has_text="Write the report").click()
    page.wait_for_url(re.compile(rf"/reports/analysis/incident/{inc.pk}/$"))
    assert page.input_value("#id_summary") == "No picture from junction 12"  # pre-filled
    assert page.input_value("#id_restoration") == "Mobile camera placed"
    assert page.input_value("#id_prepared_by") == "Wang Fenxi"
    page.fill("#id_cause", "The power supply unit failed after a surge")
    page.fill("#id_prevention", "Fit surge protection on junction cabinets")
    page.screenshot(path=str(artifacts / "reports-analysis-01-editor.png"), full_page=True)
    # the editor fits the phone: nothing wider than the screen
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    for button in page.locator(".form-actions .btn").all():  # every action fully on screen
        box = button.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    page.select_option("#id_language", "en")
    page.click("button[name=publish]")
    page.wait_for_url(re.compile(rf"/reports/analysis/incident/{inc.pk}/$"))
    assert page.locator(".dup-list").inner_text().count("Version 1") == 1
    page.screenshot(path=str(artifacts / "reports-analysis-02-published.png"), full_page=True)
    with page.expect_download() as info:
        page.click(".dup-list a:has-text('Version 1')")
    download = info.value
    version = FaultAnalysisVersion.objects.get()
    assert Path(download.path()).read_bytes() == version.pdf.open("rb").read()
    assert version.content["cause"] == "The power supply unit failed after a surge"
    context.close()
