"""Browser journey across three roles: operator logs a call, dispatcher assigns, engineer works it
to Resolved. Runs in the system Chromium against the live server; screenshots go to test-artifacts/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.choices import Role
from incidents.models import Incident
from incidents.services import incident_create
from tests.factories import PASSWORD, CIFactory, ContactFactory, OrganizationFactory, SupportGroupFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 375, "height": 812}


@pytest.fixture
def world(transactional_db) -> dict[str, Any]:
    org = OrganizationFactory(name="Municipal Water Bureau", code="water")
    contact = ContactFactory(organization=org, name="Li Na", phone="13912345678")
    ci = CIFactory(organization=org, name="Pump-station camera 07", location="Pump station 3")
    CIFactory(organization=org, name="Core switch", location="Machine room")
    operator = UserFactory(username="op_chen", name="Chen Jing", role=Role.OPERATOR)
    existing = incident_create(actor=operator, organization=org, ci=ci, title="Camera 07 image flickers",
                               impact="low", urgency="medium", now=timezone.now())
    engineer = UserFactory(username="eng_wang", name="Wang Qiang", role=Role.ENGINEER)
    group = SupportGroupFactory(name="North region")
    group.members.add(engineer)
    return {
        "org": org, "contact": contact, "ci": ci, "engineer": engineer, "group": group,
        "operator": operator, "existing": existing,
        "dispatcher": UserFactory(username="disp_zhao", name="Zhao Min", role=Role.DISPATCHER),
    }


def login(browser: Any, base_url: str, username: str, viewport: dict[str, int], screenshot: Path | None = None) -> Any:
    context = browser.new_context(viewport=viewport, locale="en-US", timezone_id="Asia/Shanghai")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{base_url}/login/")
    if screenshot is not None:
        page.screenshot(path=str(screenshot))
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def shot(page: Any, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)


def operator_logs_call(browser: Any, live_server: Any, world: dict[str, Any], artifacts: Path) -> Incident:
    page = login(browser, live_server.url, "op_chen", DESKTOP, screenshot=artifacts / "journey-00-login.png")
    assert page.url.endswith("/hotline/")
    assert page.evaluate("document.activeElement.id") == "id_phone"
    page.keyboard.type(world["contact"].phone)
    contact_select = page.locator("#id_contact")
    expect(contact_select).to_have_value(str(world["contact"].pk))
    assert page.locator("#id_organization").input_value() == str(world["org"].pk)
    assert "Caller found" in page.locator("#lookup-note").inner_text()
    assert contact_select.input_value() == str(world["contact"].pk)
    page.select_option("#id_ci", str(world["ci"].pk))
    page.fill("#id_title", "Camera at pump station shows no picture")
    page.fill("#id_description", "Video wall tile 7 is black since 08:10.")
    page.select_option("#id_impact", "medium")
    page.select_option("#id_urgency", "high")
    suggested = page.locator("#suggested-level")
    assert suggested.inner_text().strip() == "II"
    # The duplicates panel lists the open incident already logged on this camera.
    page.wait_for_selector(f"#duplicates :text('{world['existing'].number}')")
    shot(page, artifacts, "journey-01-hotline")
    page.locator("#id_title").press("Control+Enter")
    page.wait_for_url(re.compile(r"/incidents/\d+/$"))
    assert "created" in page.locator(".messages").inner_text()
    shot(page, artifacts, "journey-02-incident-created")
    incident = Incident.objects.get(title="Camera at pump station shows no picture")
    assert incident.fault_level == "II" and incident.contact_id == world["contact"].pk
    # Logout is a POST form in the user menu.
    page.click(".usermenu summary")
    page.click(".usermenu button[type=submit]")
    page.wait_for_url(re.compile(r"/login/"))
    page.context.close()
    return incident


def dispatcher_assigns(browser: Any, live_server: Any, world: dict[str, Any], incident: Incident,
                       artifacts: Path) -> None:
    page = login(browser, live_server.url, "disp_zhao", DESKTOP)
    assert page.url.endswith("/queue/")
    row = page.locator("tr", has_text=incident.number)
    row.locator("select[name='assign-group']").select_option(str(world["group"].pk))
    row.locator("select[name='assign-assignee']").select_option(str(world["engineer"].pk))
    shot(page, artifacts, "journey-03-queue")
    row.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert "Assign: done." in page.locator(".messages").inner_text()
    assert page.locator("tr", has_text=incident.number).count() == 0
    page.context.close()


def engineer_resolves(browser: Any, live_server: Any, incident: Incident, artifacts: Path,
                      viewport: dict[str, int], tag: str) -> None:
    page = login(browser, live_server.url, "eng_wang", viewport)
    assert page.url.endswith("/my-work/")
    shot(page, artifacts, f"journey-04-my-work-{tag}")
    page.click(f"text={incident.number}")
    page.wait_for_url(re.compile(rf"/incidents/{incident.pk}/$"))
    page.click("form[data-action=accept] button")
    page.wait_for_load_state()
    assert page.locator("[data-status]").inner_text() == "In progress"
    page.click("form[data-action=arrive] button")
    page.wait_for_load_state()
    page.click("summary:has-text('Log work')")
    page.fill("#id_worklog-minutes", "45")
    page.fill("#id_worklog-note", "Replaced the PoE injector; picture is back.")
    page.click("form[action$='/add/worklog/'] button[type=submit]")
    page.wait_for_load_state()
    assert "Work logged." in page.locator(".messages").inner_text()
    page.click("details[data-action=resolve] > summary")
    page.select_option("#id_resolve-cause_category", "hardware")
    page.fill("#id_resolve-resolution", "Faulty PoE injector replaced.")
    shot(page, artifacts, f"journey-05-resolve-form-{tag}")
    page.click("details[data-action=resolve] button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("[data-status]").inner_text() == "Resolved"
    shot(page, artifacts, f"journey-06-resolved-{tag}")
    incident.refresh_from_db()
    assert incident.status == "resolved" and incident.onsite_at is not None
    page.context.close()


def test_call_to_resolution_desktop(browser, live_server, world, artifacts):
    incident = operator_logs_call(browser, live_server, world, artifacts)
    dispatcher_assigns(browser, live_server, world, incident, artifacts)
    engineer_resolves(browser, live_server, incident, artifacts, DESKTOP, "desktop")


def test_engineer_on_a_phone(browser, live_server, world, artifacts):
    incident = operator_logs_call(browser, live_server, world, artifacts)
    dispatcher_assigns(browser, live_server, world, incident, artifacts)
    engineer_resolves(browser, live_server, incident, artifacts, PHONE, "phone")
