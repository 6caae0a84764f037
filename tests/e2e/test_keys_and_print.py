"""Issue #12 (operators): keyboard shortcuts (`/` search, `n` new call; ignored while typing) from a
static file under the strict CSP, and the incident's work order page on paper and on a phone."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.choices import Role
from incidents.services import incident_create
from tests.e2e.test_journey import DESKTOP, PHONE, shot
from tests.e2e.test_layout_1366 import login
from tests.factories import ContactFactory, OrganizationFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_slash_focuses_search_and_n_opens_a_new_call(browser, live_server, transactional_db):
    UserFactory(username="disp", role=Role.DISPATCHER)
    page = login(browser, live_server.url, "disp", locale="zh-CN", viewport=DESKTOP)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/incidents/")
    search = page.locator('input[type="search"]').first
    page.keyboard.press("/")
    expect(search).to_be_focused()
    page.keyboard.type("n1")  # typing in the field: `n` is a letter, not a shortcut
    expect(search).to_have_value("n1")
    assert page.url.endswith("/incidents/")
    page.locator("h1").first.click()  # leave the field
    page.keyboard.press("n")
    expect(page).to_have_url(re.compile(r"/hotline/$"))
    assert not [e for e in errors if "Content Security Policy" in e], errors
    page.context.close()


def test_work_order_prints_in_both_languages_and_fits_a_phone(browser, live_server, artifacts, transactional_db):
    UserFactory(username="disp", role=Role.DISPATCHER)
    org = OrganizationFactory(name="市公安局视频监控中心")
    contact = ContactFactory(organization=org, name="李雷", phone="13900000000")
    inc = incident_create(actor=UserFactory(username="op", role=Role.OPERATOR), organization=org,
                          title="路口摄像机-01 离线 " + "很长的标题" * 8, impact="low", urgency="medium",
                          contact=contact, now=timezone.now())
    page = login(browser, live_server.url, "disp", locale="zh-CN", viewport=PHONE)
    page.goto(f"{live_server.url}/incidents/{inc.pk}/")
    expect(page.locator(f'a[href="/incidents/{inc.pk}/print/"]')).to_be_visible()
    page.goto(f"{live_server.url}/incidents/{inc.pk}/print/?language=zh-hans")
    expect(page.locator("h1")).to_have_text("维修工单")
    expect(page.locator(".wo-sign")).to_contain_text("客户签字")
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    shot(page, artifacts, "work-order-zh-375")
    page.emulate_media(media="print")
    expect(page.locator(".wo-tools")).to_be_hidden()
    page.emulate_media(media="screen")
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server.url}/incidents/{inc.pk}/print/?language=en")
    expect(page.locator("h1")).to_have_text("Maintenance work order")
    expect(page.locator(".wo-sign")).to_contain_text("Customer's signature")
    shot(page, artifacts, "work-order-en-1366")
    page.context.close()
