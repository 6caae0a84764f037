"""A project manager creates an inspection plan on a phone (375 px) in Chinese: the form, the
organisation's CIs loaded by "refresh preview", the CI search box (static JS, strict CSP), the next
due dates, and the saved plan's page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.choices import Role
from inspections.models import ChecklistTemplate, InspectionPlan
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_journey import PHONE, shot
from tests.e2e.test_layout_1366 import login
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_manager_creates_a_plan_on_a_phone_in_chinese(browser, live_server, org, group, cameras):
    ARTIFACTS.mkdir(exist_ok=True)
    UserFactory(username="pm", name="项目经理", role=Role.MANAGER)
    page = login(browser, live_server.url, "pm", locale="zh-CN", viewport=PHONE)
    page.goto(f"{live_server.url}/inspections/plans/")
    page.locator("#plan-new").click()
    page.locator("h1", has_text="新建巡检计划").wait_for()
    page.fill("#id_name", "北区摄像机每月第一个星期一巡检")
    page.select_option("#id_template", str(ChecklistTemplate.objects.get(code="monthly-system").pk))
    page.select_option("#id_organization", str(org.pk))
    page.select_option("#id_frequency", "monthly")
    page.select_option("#id_day_rule", "nth_weekday")
    page.select_option("#id_weekday", "0")
    page.select_option("#id_group", str(group.pk))
    page.get_by_role("button", name="刷新预览").click()
    page.locator("#preview-dates .preview-scheduled").first.wait_for()
    assert page.locator("#preview-dates tbody tr").count() == 6
    # The CI list now holds the organisation's CIs; the search box filters it.
    search = page.locator("input.insp-ci-search")
    search.fill("CAM-03")
    expect(page.locator("#id_cis option:not([hidden])")).to_have_count(1)
    expect(page.locator("#id_cis option:not([hidden])")).to_have_text("CAM-03 · 摄像机 · 北区")
    page.select_option("#id_cis", [str(cameras[3].pk)])
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 380, width
    shot(page, ARTIFACTS, "inspection-plan-01-form-phone")
    page.get_by_role("button", name="保存计划").click()
    page.locator(".messages, [role=status]", has_text="计划已保存").first.wait_for()
    plan = InspectionPlan.objects.get()
    assert plan.day_rule == "nth_weekday" and list(plan.cis.all()) == [cameras[3]]
    assert page.locator("#preview-dates tbody tr").count() == 6
    shot(page, ARTIFACTS, "inspection-plan-02-saved-phone")
