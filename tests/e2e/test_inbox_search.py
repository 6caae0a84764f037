"""In zh-hans: the navigation's unread badge, the inbox grouped by ticket, mark all read (the badge
goes), and the search box on every page (`#global-search`) finding a ticket by number and a caller
by phone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.choices import Role
from incidents.services import incident_create
from notifications.models import Notification
from tests.e2e.test_journey import DESKTOP, PHONE, shot
from tests.e2e.test_layout_1366 import login
from tests.factories import ContactFactory, OrganizationFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_inbox_badge_group_and_mark_all_read(browser, live_server, artifacts, transactional_db):
    lead = UserFactory(username="lead_wu", name="吴组长", role=Role.REGIONAL_LEAD)
    now = timezone.now()
    Notification.objects.bulk_create([
        Notification(user=lead, event="sla.breach", title=f"{number} 已超时 {i}", subject=number, fault_level="II",
                     link="/incidents/", created_at=now - timedelta(minutes=i))
        for i, number in enumerate(["INC-000101"] * 70 + ["INC-000102"] * 40)
    ])
    page = login(browser, live_server.url, "lead_wu", locale="zh-CN", viewport=DESKTOP)
    page.goto(f"{live_server.url}/incidents/")
    expect(page.locator("#inbox-badge")).to_contain_text("99+")
    page.click("#nav-inbox")
    expect(page.locator("h1")).to_contain_text("通知")
    page.click("#inbox-group-by-ticket")
    groups = page.locator(".notification-groups > li")
    expect(groups).to_have_count(2)
    expect(groups.first).to_contain_text("INC-000101")
    expect(groups.first).to_contain_text("70 条未读")
    shot(page, artifacts, "inbox-grouped-zh")
    page.click("#inbox-read-all")
    expect(page.locator("#inbox-badge")).to_have_count(0)
    expect(page.locator(".notification-groups > li.unread")).to_have_count(0)
    assert not Notification.objects.filter(user=lead, read_at__isnull=True).exists()
    page.context.close()


def test_search_box_on_every_page(browser, live_server, artifacts, transactional_db):
    operator = UserFactory(username="op_li", name="李接线", role=Role.OPERATOR)
    org = OrganizationFactory(name="市水务集团", code="water-e2e")
    caller = ContactFactory(organization=org, name="张工", phone="13955556666")
    inc = incident_create(actor=operator, organization=org, title="泵站摄像头离线", impact="low", urgency="medium",
                          contact=caller, now=timezone.now())
    page = login(browser, live_server.url, "op_li", locale="zh-CN", viewport=DESKTOP)
    page.goto(f"{live_server.url}/changes/")
    page.fill("#global-search", inc.number)
    page.press("#global-search", "Enter")
    expect(page.locator("#search-incident")).to_contain_text(inc.number)
    expect(page.locator("#search-incident h2")).to_contain_text("故障")
    page.fill("#global-search", "139-5555-6666")
    page.press("#global-search", "Enter")
    expect(page.locator("#search-caller")).to_contain_text("泵站摄像头离线")
    page.set_viewport_size(PHONE)
    expect(page.locator("#global-search")).to_be_visible()
    shot(page, artifacts, "search-phone-zh")
    page.click("#search-caller a >> nth=0")
    expect(page).to_have_url(f"{live_server.url}/incidents/{inc.pk}/")
    page.goto(f"{live_server.url}/incidents/")
    page.click("#qf-mine")  # "assigned to me": nothing is assigned to the operator
    expect(page.locator("#qf-mine")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("table")).to_have_count(0)
    page.fill("#save-filter-name", "我的故障")
    page.click(".save-filter button")
    expect(page.locator(".saved-filter")).to_have_text("我的故障")
    page.click("#qf-mine")
    expect(page.locator("#bulk-form")).to_be_visible()
    shot(page, artifacts, "incident-list-bulk-phone-zh")
    page.context.close()
