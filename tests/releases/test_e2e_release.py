"""Browser journey in the system Chromium: a project manager plans a release on a desktop screen
(creates it, adds the approved change, schedules it), an engineer records the deployment on a
phone, and the change calendar shows the release, the change and a freeze window on the phone.
Screenshots go to test-artifacts/release-*.png."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from accounts.choices import Role
from changes.models import Change, FreezeWindow
from releases.models import Release
from tests.factories import PASSWORD, CIFactory, OrganizationFactory, UserFactory
from tickets.numbering import next_number

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


def shot(page: Any, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"release-{name}.png"), full_page=True)


def login(browser: Any, live_server: Any, username: str, viewport: dict[str, int]) -> Any:
    context = browser.new_context(viewport=viewport, locale="en-US", timezone_id="Asia/Shanghai",
                                  is_mobile=viewport is PHONE, has_touch=viewport is PHONE)
    context.set_default_timeout(30_000)  # a shared 2-core machine under load answers slowly
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def test_plan_deploy_and_see_it_on_the_calendar(run_with_browser, live_server, artifacts):
    run_with_browser(lambda browser: journey(browser, live_server, artifacts))


def journey(browser: Any, live_server: Any, artifacts: Path) -> None:
    org = OrganizationFactory(name="City Public Security Bureau", code="city")
    ci = CIFactory(organization=org, name="Video platform server 1")
    UserFactory(username="pm_li", name="Li Ming", role=Role.MANAGER)
    UserFactory(username="eng_wu", name="Wu Gang", role=Role.ENGINEER)
    now = timezone.now()
    tomorrow = timezone.localdate() + timedelta(days=1)
    start = datetime.combine(tomorrow, time(1, 0), tzinfo=timezone.get_current_timezone())
    change = Change.objects.create(number=next_number("CHG"), title="Patch video platform", organization=org,
                                   status="scheduled", planned_start=start, planned_end=start + timedelta(hours=2),
                                   reported_at=now)
    change.cis.set([ci])
    FreezeWindow.objects.create(name="City marathon", start=start + timedelta(days=2),
                                end=start + timedelta(days=3), blocking=True)

    # The manager plans the release on a desktop screen.
    page = login(browser, live_server, "pm_li", DESKTOP)
    page.goto(f"{live_server.url}/releases/new/")
    page.select_option("#id_organization", str(org.pk))
    page.fill("#id_title", "Video platform hardening")
    page.fill("#id_release_version", "2026.12")
    page.fill("#id_plan", "Patch, restart, check live video.")
    page.fill("#id_planned_start", start.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_planned_end", (start + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"))
    page.click("button:has-text('Create release')")
    page.wait_for_url(re.compile(r"/releases/\d+/"))
    release = Release.objects.get()
    if page.locator("#edit").get_attribute("open") is None:  # an #edit anchor does not open a <details>
        page.locator("#edit summary").click()
    page.check(f"input[name=changes][value='{change.pk}']")
    page.click("#edit button:has-text('Save changes')")
    page.wait_for_url(re.compile(rf"/releases/{release.pk}/$"))
    assert page.locator(f"tr[data-change='{change.number}']").count() == 1
    page.click("form[data-action=schedule] button")
    page.wait_for_url(re.compile(rf"/releases/{release.pk}/$"))
    assert page.locator("[data-status=scheduled]").count() == 1
    shot(page, artifacts, "01-scheduled")
    page.click("form[data-action=start] button")
    page.wait_for_url(re.compile(rf"/releases/{release.pk}/$"))
    assert page.locator("[data-status=deploying]").count() == 1
    page.context.close()

    # The engineer records the deployment on a phone and completes it.
    page = login(browser, live_server, "eng_wu", PHONE)
    page.goto(f"{live_server.url}/releases/{release.pk}/")
    page.click("#deployments summary:has-text('Record a deployment')")
    page.select_option("#id_deployment-environment", "production")
    page.fill("#id_deployment-site", "City data centre")
    page.select_option("#id_deployment-result", "success")
    page.click("button:has-text('Record deployment')")
    page.wait_for_url(re.compile(rf"/releases/{release.pk}/#deployments$"))
    assert "Deployment recorded." in page.locator(".messages").inner_text()
    assert page.locator("tr[data-deployment=production]").count() == 1
    page.click("form[data-action=complete] button")
    page.wait_for_url(re.compile(rf"/releases/{release.pk}/$"))
    assert page.locator("[data-status=deployed]").count() == 1
    shot(page, artifacts, "02-deployed-phone")

    # The calendar on the phone: this month, the release and the change on tomorrow's cell.
    page.goto(f"{live_server.url}/releases/calendar/?date={tomorrow.isoformat()}")
    cell = page.locator(f".cal-day[data-day='{tomorrow.isoformat()}']")
    assert cell.locator(f"[data-key='release-{release.pk}']").count() == 1
    assert cell.locator(f"[data-key='change-{change.pk}']").count() == 1
    assert cell.is_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, f"the month view scrolls sideways on a phone ({width}px)"
    shot(page, artifacts, "03-calendar-phone")
    page.click("a:has-text('Week')")
    page.wait_for_url(re.compile(r"view=week"))
    assert page.locator(".cal-weekview .cal-day").count() == 7
    shot(page, artifacts, "04-week-phone")
    page.context.close()

    # On a desktop the month is a seven-column grid.
    page = login(browser, live_server, "pm_li", DESKTOP)
    page.goto(f"{live_server.url}/releases/calendar/?date={tomorrow.isoformat()}")
    first_week = page.locator(".cal-week").first.locator(".cal-day")
    assert first_week.count() == 7
    boxes = [first_week.nth(i).bounding_box() for i in range(7)]
    assert all(b is not None for b in boxes) and len({round(b["y"]) for b in boxes if b}) == 1  # one row
    shot(page, artifacts, "05-month-desktop")
    page.context.close()
