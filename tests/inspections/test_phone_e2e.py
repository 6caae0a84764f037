"""The round on a phone at 375 px, in the system Chromium: answer online, lose the connection
mid-round (the browser context offline), keep answering with a photo and an out-of-limit reading,
reload the page while still offline (the service worker serves it; answers come back from the
browser's storage), reconnect — and every answer reaches the server exactly once."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.utils import timezone

from inspections.models import Answer, InspectionRound
from inspections.services import rounds_generate
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_journey import PHONE, shot
from tests.e2e.test_layout_1366 import login

from .test_rounds import PNG

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_round_on_a_phone_survives_going_offline_and_a_reload(browser, live_server, make_plan, cameras, eng):
    ARTIFACTS.mkdir(exist_ok=True)
    plan = make_plan("monthly-system", cis=cameras[:2], assignee=eng)
    today = timezone.localdate()
    rounds_generate(now=timezone.now(), plan_ids=[plan.pk], until=date(today.year + 1, 12, 31))
    ticket = InspectionRound.objects.filter(plan=plan).order_by("period_start").first()
    assert ticket is not None

    page = login(browser, live_server.url, "eng", locale="zh-CN", viewport=PHONE)
    context = page.context
    page.goto(f"{live_server.url}/inspections/rounds/{ticket.pk}/do/")
    page.locator("#insp[data-offline-ready='1']").wait_for(timeout=15_000)
    page.locator("button[data-ci]").first.click()
    first = page.locator(".insp-item[data-kind='pass_fail']").first
    first.locator(".insp-pass").click()
    page.locator("#insp[data-pending='0']").wait_for()
    assert Answer.objects.filter(round=ticket).count() == 1
    shot(page, ARTIFACTS, "inspection-phone-01-online")

    # The plant room: no signal.
    context.set_offline(True)
    reading = page.locator(".insp-item[data-kind='reading']").first  # room temperature, 10–30 °C
    reading.locator("input.insp-reading").fill("41.5")
    reading.locator("input.insp-reading").press("Enter")
    page.locator("body").click(position={"x": 5, "y": 5})
    assert re.search(r"is-out", reading.get_attribute("class") or "")
    second = page.locator(".insp-item[data-kind='pass_fail']").nth(1)
    second.locator(".insp-fail").click()
    second.locator("input[type=file]").set_input_files(
        files=[{"name": "rack.png", "mimeType": "image/png", "buffer": PNG}])
    text = page.locator(".insp-item[data-kind='text']").first
    text.locator("textarea").fill("告警日志无异常")
    text.locator("textarea").blur()
    page.locator("#insp[data-pending='3']").wait_for()
    shot(page, ARTIFACTS, "inspection-phone-02-offline")
    assert Answer.objects.filter(round=ticket).count() == 1  # nothing reached the server

    # Reload without a connection: the service worker serves the page, the answers are still there.
    page.reload()
    page.locator("#insp[data-pending='3']").wait_for()
    assert page.locator(".insp-item[data-kind='reading'] input.insp-reading").first.input_value() == "41.5"
    assert page.locator(".insp-item.is-out").count() == 1
    shot(page, ARTIFACTS, "inspection-phone-03-reloaded-offline")

    # Back online: everything is sent, once.
    context.set_offline(False)
    page.locator("#insp[data-pending='0']").wait_for(timeout=15_000)
    shot(page, ARTIFACTS, "inspection-phone-04-synced")
    answers = Answer.objects.filter(round=ticket)
    assert answers.count() == 4
    assert answers.values("uuid").distinct().count() == 4
    hot = answers.get(reading__isnull=False)
    assert hot.finding and hot.incident is not None and hot.incident.channel == "inspection"
    failed = answers.get(passed=False)
    assert failed.photo and failed.incident_id is not None
    assert answers.get(text__contains="告警").text == "告警日志无异常"
    # The round's page shows the findings with their incidents (the same phone).
    page.goto(f"{live_server.url}/inspections/rounds/{ticket.pk}/")
    assert page.locator(".cell-finding").count() == 2
    shot(page, ARTIFACTS, "inspection-phone-05-round-page")
    page.goto(f"{live_server.url}/inspections/")
    assert page.locator(f"#mine tr[data-round='{ticket.pk}']").count() == 1
    page.screenshot(path=str(ARTIFACTS / "inspection-phone-06-round-list.png"))  # the first screen
    context.close()
