"""Browser journey of the store: an engineer issues a part to an incident on a phone-sized screen, a
write-off waits for approval, the manager approves it, the reorder list shows the part. Screenshots go
to test-artifacts/."""

from __future__ import annotations

import pytest

from accounts.choices import Role
from spares.choices import MovementKind
from spares.models import ApprovalRule
from tests.e2e.test_journey import DESKTOP, PHONE, login, shot
from tests.factories import UserFactory

from .conftest import held

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_issue_on_a_phone_then_approve_a_write_off(run_with_browser, live_server, artifacts, part, central, receive,
                                                    make_incident, org_a):
    UserFactory(username="eng_store", role=Role.ENGINEER)
    UserFactory(username="mgr_store", role=Role.MANAGER)
    receive(part, central, 4)
    inc = make_incident(organization=org_a, title="Switch PSU dead")
    ApprovalRule.objects.create(kind=MovementKind.WRITE_OFF)
    # Playwright in a thread of its own (tests/portal/conftest.py): a session-wide sync Playwright of
    # another test module may already hold this thread's event loop on the same xdist worker.
    run_with_browser(lambda browser: journey(browser, live_server, artifacts, part, central, inc))


def journey(browser, live_server, artifacts, part, central, inc):
    page = login(browser, live_server.url, "eng_store", PHONE)
    page.goto(f"{live_server.url}/spares/")
    page.click("text=Switch PSU 600W")
    page.click("a.btn-primary:has-text('Issue')")
    page.fill("#id_quantity", "1")
    page.select_option("#id_from_storeroom", str(central.pk))
    page.fill("#id_incident", inc.number)
    shot(page, artifacts, "spares-01-issue-phone")
    page.click("button:has-text('Record')")
    assert "recorded" in page.locator(".messages").inner_text()
    assert held(part, central) == 3
    page.click("a.btn:has-text('Write-off')")
    page.fill("#id_quantity", "2")
    page.select_option("#id_from_storeroom", str(central.pk))
    page.fill("#id_note", "Water damage")
    page.click("button:has-text('Record')")
    assert "waits for approval" in page.locator(".messages").inner_text()
    assert held(part, central) == 3
    page.context.close()

    page = login(browser, live_server.url, "mgr_store", DESKTOP)
    page.goto(f"{live_server.url}/spares/approvals/")
    assert "Water damage" in page.locator("tbody").inner_text()
    shot(page, artifacts, "spares-02-approval-queue")
    page.click("button:has-text('Approve')")
    assert "stock has moved" in page.locator(".messages").inner_text()
    assert held(part, central) == 1
    page.goto(f"{live_server.url}/spares/reorder/")
    assert "PSU-600" in page.locator("tbody").inner_text()
    shot(page, artifacts, "spares-03-reorder")
    page.context.close()
