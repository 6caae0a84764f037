"""Browser journey of a customer on a phone (375×812) in the system Chromium: report a fault with
a screenshot, follow it, confirm the resolution, rate it. Staff steps go through the services.
Screenshots go to test-artifacts/portal-*.png."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from accounts.choices import Role
from incidents.models import Incident
from incidents.services import incident_transition
from quality.models import SatisfactionRating
from tests.factories import PASSWORD, CIFactory, ContactFactory, CustomerFactory, OrganizationFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 812}
# A tiny valid PNG (1×1 pixel), the "screenshot" the customer attaches.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
                    "0000000d49444154789c63f8cfc0f01f0005000201a5f6e5a10000000049454e44ae426082")


def shot(page: Any, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"portal-{name}.png"), full_page=True)


def test_customer_reports_follows_confirms_and_rates_on_a_phone(run_with_browser, live_server, artifacts):
    run_with_browser(lambda browser: journey(browser, live_server, artifacts))


def journey(browser: Any, live_server: Any, artifacts: Path) -> None:
    org = OrganizationFactory(name="Municipal Water Bureau", code="water")
    customer = CustomerFactory(username="li_na", name="Li Na", organization=org)
    ContactFactory(organization=org, name="Li Na", phone="13912345678", email="li.na@example.com", user=customer)
    ci = CIFactory(organization=org, name="Pump-station camera 07", location="Pump station 3")
    CIFactory(organization=OrganizationFactory(name="Other Org"), name="Foreign router")
    engineer = UserFactory(username="eng_wang", name="Wang Qiang", role=Role.ENGINEER)
    lead = UserFactory(username="lead_zhou", name="Zhou Lei", role=Role.MANAGER)

    context = browser.new_context(viewport=PHONE, locale="en-US", timezone_id="Asia/Shanghai",
                                  device_scale_factor=2, is_mobile=True, has_touch=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/login/?next=/portal/")
    page.fill("#id_username", "li_na")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/portal/$"))
    assert page.locator(".p-nav a", has_text="Change approvals").count() == 1
    assert page.locator(".p-nav-disabled").count() == 0  # every portal section is built now
    shot(page, artifacts, "01-home-empty")

    # Report a fault: pick the camera (the other organisation's router is not offered), describe, attach.
    page.click(".p-actions-bar a:has-text('Report a fault')")
    page.wait_for_url(re.compile(r"/portal/report/$"))
    options = page.locator("#id_ci option").all_inner_texts()
    assert any("Pump-station camera 07" in o for o in options) and not any("Foreign" in o for o in options)
    page.select_option("#id_ci", str(ci.pk))
    page.fill("#id_title", "Camera shows no picture")
    page.fill("#id_description", "Video wall tile 7 is black since 08:10.")
    page.select_option("#id_urgency", "high")
    page.set_input_files("#id_files", files=[{"name": "wall.png", "mimeType": "image/png", "buffer": PNG}])
    shot(page, artifacts, "02-report-form")
    page.click("button[type=submit]:has-text('Send fault report')")
    page.wait_for_url(re.compile(r"/portal/incidents/\d+/$"))
    assert "has been received" in page.locator(".messages").inner_text()
    incident = Incident.objects.get(title="Camera shows no picture")
    assert incident.channel == "portal" and incident.ci_id == ci.pk
    assert page.locator("text=wall.png").count() == 1
    shot(page, artifacts, "03-reported")

    # Staff assign, accept, resolve (through the services).
    now = timezone.now()
    incident_transition(incident_id=incident.pk, actor=lead, action="assign", payload={"assignee": engineer.pk},
                        now=now)
    incident_transition(incident_id=incident.pk, actor=engineer, action="accept", now=now)
    incident_transition(incident_id=incident.pk, actor=engineer, action="resolve", now=now,
                        payload={"cause_category": "hardware", "resolution": "Replaced the PoE injector."})

    # Follow it: the page shows the resolution and the engineer's name; confirm the fix.
    page.reload()
    assert page.locator(".p-status").first.inner_text() == "Resolved"
    assert "Wang Qiang" in page.locator(".p-facts").inner_text()
    assert "Replaced the PoE injector." in page.locator(".p-facts").inner_text()
    shot(page, artifacts, "04-resolved")
    page.click(".p-action-observe button[type=submit]")
    page.wait_for_load_state()
    assert page.locator(".p-status").first.inner_text() == "Observing"
    shot(page, artifacts, "05-confirmed")

    # After the observation period staff close it; the customer rates 4 stars.
    incident_transition(incident_id=incident.pk, actor=lead, action="close", now=timezone.now())
    page.goto(f"{live_server.url}/portal/")
    assert page.locator(".p-rate-hint").count() == 1
    shot(page, artifacts, "05b-home-please-rate")
    page.click(f"text={incident.number}")
    page.wait_for_url(re.compile(rf"/portal/incidents/{incident.pk}/$"))
    page.locator(".p-stars label[for$='_1']").first.wait_for()  # stars are drawn
    page.click(".p-stars label[title='4/5']")
    page.fill("#id_comment", "Quick and friendly.")
    shot(page, artifacts, "06-rating-form")
    page.click("button:has-text('Send rating')")
    page.wait_for_load_state()
    assert "Thank you for your rating!" in page.locator(".messages").inner_text()
    rating = SatisfactionRating.objects.get()
    assert (rating.stars, rating.comment, rating.assignee_id) == (4, "Quick and friendly.", engineer.pk)
    shot(page, artifacts, "07-rated")

    # The Chinese UI is one tap away.
    page.click(".p-lang button[lang='zh-hans']")
    page.wait_for_load_state()
    shot(page, artifacts, "08-rated-zh")
    context.close()
