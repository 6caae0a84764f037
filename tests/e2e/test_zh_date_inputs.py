"""Every form with a date / datetime-local input, filled and submitted in a Chinese browser
(Accept-Language zh-CN): the browser only accepts ISO values, so a localised value (`2026/12/06`)
showed the field empty and silently blocked the submit of a required date (the work log)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.utils import timezone

from accounts.choices import Role
from cmdb.choices import CIStatus
from incidents.models import Incident
from incidents.services import incident_create, incident_transition
from spares.choices import ReplacementDecision
from spares.models import Replacement, SpareLoan
from spares.services import replacement_record
from tests.e2e.test_journey import PHONE, shot
from tests.factories import PASSWORD, CIFactory, OrganizationFactory, SupportGroupFactory, UserFactory
from tickets.models import WorkLog

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def login_zh(browser: Any, base_url: str, username: str) -> Any:
    context = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  extra_http_headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    return page


@pytest.fixture
def zh_world(transactional_db) -> dict[str, Any]:
    org = OrganizationFactory(name="市水务局", code="water")
    engineer = UserFactory(username="eng_zh", name="王强", role=Role.ENGINEER)
    manager = UserFactory(username="mgr_zh", name="刘经理", role=Role.MANAGER)
    group = SupportGroupFactory(name="北区")
    group.members.add(engineer)
    ci = CIFactory(organization=org, name="泵站摄像头07")
    standby = CIFactory(organization=org, name="备用摄像头", status=CIStatus.STANDBY)
    now = timezone.now()
    incident = incident_create(actor=manager, organization=org, ci=ci, title="摄像头离线",
                               impact="medium", urgency="high", now=now)
    incident = incident_transition(incident_id=incident.pk, action="assign", actor=manager, now=now,
                                   payload={"assignee": engineer.pk})
    record = replacement_record(ci=ci, month=date(2026, 11, 1), faults=3, actor=manager, now=now,
                                decision=ReplacementDecision.REPAIR)
    return {"org": org, "incident": incident, "standby": standby, "record": record}


def test_date_inputs_fill_and_submit_in_chinese(browser, live_server, artifacts, zh_world):
    base = live_server.url
    incident: Incident = zh_world["incident"]

    # Work log: the date is prefilled with today and required; only minutes and the note are typed.
    page = login_zh(browser, base, "eng_zh")
    page.goto(f"{base}/incidents/{incident.pk}/")
    page.click("summary:has-text('填写工作日志')")
    date_input = page.locator("#id_worklog-work_date")
    assert date_input.input_value() == timezone.localdate().isoformat()
    page.fill("#id_worklog-minutes", "45")
    page.fill("#id_worklog-note", "更换了电源适配器")
    shot(page, artifacts, "zh-dates-01-worklog-phone")
    page.click("form[action$='/worklog/'] button[type=submit]")
    page.wait_for_load_state()
    assert WorkLog.objects.filter(ticket_id=incident.pk, minutes=45).exists()
    page.context.close()

    page = login_zh(browser, base, "mgr_zh")
    # Spare loan with a due-back date and time.
    page.goto(f"{base}/spares/loans/?incident={incident.number}")
    page.select_option("#id_standby_ci", str(zh_world["standby"].pk))
    page.fill("#id_due_back", "2026-12-20T17:30")
    shot(page, artifacts, "zh-dates-02-loan-phone")
    page.click("form.form button[type=submit]")
    page.wait_for_load_state()
    loan = SpareLoan.objects.get()
    assert timezone.localtime(loan.due_back).strftime("%Y-%m-%d %H:%M") == "2026-12-20 17:30"

    # A replacement decision completed with the date the new device arrived; the saved date shows again.
    record: Replacement = zh_world["record"]
    page.goto(f"{base}/spares/replacements/{record.pk}/")
    page.select_option("#id_decision", ReplacementDecision.REPLACE)
    page.fill("#id_replacement_serial", "SN-NEW-1")
    page.fill("#id_replaced_on", "2026-12-05")
    page.click("form.form button[type=submit]")
    page.wait_for_load_state()
    record.refresh_from_db()
    assert record.replaced_on == date(2026, 12, 5)
    assert page.locator("#id_replaced_on").input_value() == "2026-12-05"
    shot(page, artifacts, "zh-dates-03-replacement-phone")

    # Satisfaction figures filtered by a date range (GET form): the dates survive the round trip.
    page.goto(f"{base}/quality/figures/")
    page.fill("#id_date_from", "2026-11-01")
    page.fill("#id_date_to", "2026-11-30")
    page.locator("#id_date_to").press("Enter")
    page.wait_for_url("**date_from=2026-11-01**")
    assert page.locator("#id_date_from").input_value() == "2026-11-01"
    assert page.locator("#id_date_to").input_value() == "2026-11-30"
    shot(page, artifacts, "zh-dates-04-figures-phone")

    # A CI's purchase date and warranty end (CMDB): saved, and shown again in the form.
    ci = zh_world["standby"]
    page.goto(f"{base}/cmdb/{ci.pk}/edit/")
    page.fill("#id_purchase_date", "2025-03-15")
    page.fill("#id_warranty_end", "2028-03-14")
    page.click("form[data-ctrl-enter] button[type=submit]")
    page.wait_for_load_state()
    ci.refresh_from_db()
    assert (ci.purchase_date, ci.warranty_end) == (date(2025, 3, 15), date(2028, 3, 14))
    page.goto(f"{base}/cmdb/{ci.pk}/edit/")
    assert page.locator("#id_warranty_end").input_value() == "2028-03-14"
    page.context.close()
