"""Browser journey of a normal change in the system Chromium: an engineer raises it with the risk
questionnaire and submits it, the change manager assesses it and sends it to the CAB, two CAB members
approve, the customer approves in the portal on a phone, then it is scheduled, implemented,
reviewed and closed — every step through the pages. Screenshots go to test-artifacts/change-*.png."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from accounts.choices import Role
from changes.choices import CABRule
from changes.models import CAB, Change
from tests.factories import PASSWORD, CIFactory, ContactFactory, CustomerFactory, OrganizationFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}


def shot(page: Any, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"change-{name}.png"), full_page=True)


def test_normal_change_from_request_to_close(run_with_browser, live_server, artifacts):
    run_with_browser(lambda browser: journey(browser, live_server, artifacts))


def login(browser: Any, live_server: Any, username: str, *, viewport: dict[str, int] = DESKTOP,
          next_url: str = "/") -> Any:
    context = browser.new_context(viewport=viewport, locale="en-US", timezone_id="Asia/Shanghai")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def act(page: Any, action: str, fill: dict[str, str] | None = None, select: dict[str, str] | None = None) -> None:
    """Press a workflow button of the change page (opening its small form when it has inputs)."""
    details = page.locator(f"details.action-form[data-action='{action}']")
    if details.count():
        details.locator("summary").click()
        for selector, value in (fill or {}).items():
            page.fill(selector, value)
        for selector, value in (select or {}).items():
            page.select_option(selector, value)
        details.locator("button[type=submit]").click()
    else:
        page.locator(f"form.action-button[data-action='{action}'] button").click()
    page.wait_for_load_state()


def status_of(page: Any) -> str:
    return str(page.locator(".ticket-id .status").get_attribute("data-status"))


def journey(browser: Any, live_server: Any, artifacts: Path) -> None:
    org = OrganizationFactory(name="City Water Bureau", code="water")
    customer = CustomerFactory(username="li_na", name="Li Na", organization=org)
    contact = ContactFactory(organization=org, name="Li Na", phone="13912345678", email="li.na@example.com",
                             user=customer)
    ci = CIFactory(organization=org, name="Core switch S1")
    UserFactory(username="eng_wang", name="Wang Qiang", role=Role.ENGINEER)
    manager = UserFactory(username="mgr_zhou", name="Zhou Jun", role=Role.MANAGER)
    lead = UserFactory(username="lead_huang", name="Huang Lei", role=Role.REGIONAL_LEAD)
    analyst = UserFactory(username="ana_yang", name="Yang Min", role=Role.ANALYST)
    cab = CAB.objects.create(name="Weekly CAB", rule=CABRule.QUORUM, quorum=2)
    cab.members.set([lead, manager, analyst])
    start = timezone.localtime(timezone.now() + timedelta(days=3)).replace(hour=10, minute=0, second=0,
                                                                           microsecond=0)

    # 1. The engineer raises the change and submits it.
    page = login(browser, live_server, "eng_wang")
    page.goto(f"{live_server.url}/changes/new/?organization={org.pk}")
    page.select_option("#id_type", "normal")
    page.fill("#id_title", "Upgrade core switch firmware")
    page.fill("#id_reason", "Vendor security advisory")
    page.select_option("#id_cis", [str(ci.pk)])
    page.select_option("#id_contact", str(contact.pk))
    page.fill("#id_planned_start", start.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_planned_end", (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_implementation_plan", "Upload the image, reboot in the window.")
    page.fill("#id_backout_plan", "Boot the previous image from flash.")
    page.fill("#id_test_plan", "Ping all uplinks.")
    for name, value in (("service_impact", "group"), ("outage", "short"), ("experience", "once"),
                        ("backout", "easy"), ("tested", "yes")):
        page.check(f"input[name=risk_{name}][value={value}]")
    shot(page, artifacts, "01-raise")
    page.click("button[type=submit]:has-text('Create draft')")
    page.wait_for_url(re.compile(r"/changes/\d+/$"))
    change = Change.objects.get(title="Upgrade core switch firmware")
    assert status_of(page) == "draft" and change.risk == "medium"
    act(page, "submit")
    assert status_of(page) == "submitted"
    page.context.close()

    # 2. The change manager assesses it and sends it to the CAB.
    page = login(browser, live_server, "mgr_zhou", next_url=f"/changes/{change.pk}/")
    act(page, "assess", select={"#id_assess-cab": str(cab.pk)})
    assert status_of(page) == "assessed"
    act(page, "request_approval")
    assert status_of(page) == "cab_approval"
    page.context.close()

    # 3. Two CAB members approve (quorum 2).
    for username in ("lead_huang", "ana_yang"):
        page = login(browser, live_server, username, next_url="/changes/cab/")
        page.click(f"text={change.number}")
        page.wait_for_url(re.compile(rf"/changes/{change.pk}/$"))
        act(page, "approve", fill={"#id_approve-comment": f"OK from {username}"})
        shot(page, artifacts, f"02-cab-{username}")
        page.context.close()
    change.refresh_from_db()
    assert change.status == "customer_approval"

    # 4. The customer approves in the portal, on a phone.
    page = login(browser, live_server, "li_na", viewport=PHONE, next_url="/portal/changes/")
    page.wait_for_url(re.compile(r"/portal/changes/$"))
    shot(page, artifacts, "03-portal-list")
    page.click(f"text={change.number}")
    page.wait_for_url(re.compile(rf"/portal/changes/{change.pk}/$"))
    assert "Boot the previous image from flash." in page.inner_text("main")
    page.fill("#id_comment", "Fine for Thursday morning.")
    shot(page, artifacts, "04-portal-decide")
    page.click("button[value=approve]")
    page.wait_for_url(re.compile(r"/portal/changes/$"))
    assert "you approved" in page.locator(".messages").inner_text()
    shot(page, artifacts, "05-portal-approved")
    page.context.close()

    # 5. Scheduled, implemented, reviewed, closed.
    page = login(browser, live_server, "mgr_zhou", next_url=f"/changes/{change.pk}/")
    act(page, "schedule")
    assert status_of(page) == "scheduled"
    page.context.close()
    page = login(browser, live_server, "eng_wang", next_url=f"/changes/{change.pk}/")
    act(page, "implement")
    assert status_of(page) == "implementing"
    act(page, "complete", fill={"#id_complete-note": "Upgraded to 5.170, all uplinks up."})
    assert status_of(page) == "implemented"
    page.context.close()
    page = login(browser, live_server, "mgr_zhou", next_url=f"/changes/{change.pk}/")
    act(page, "review", select={"#id_review-outcome": "successful"},
        fill={"#id_review-notes": "Done in 40 minutes, no incident."})
    assert status_of(page) == "review"
    act(page, "close")
    assert status_of(page) == "closed"
    shot(page, artifacts, "06-closed")
    page.context.close()
    change.refresh_from_db()
    assert change.closed_at and change.review.outcome == "successful"
    assert change.customer_approvals.get().decided_by == customer
