"""Browser journey: an analyst sees the problems panel on an incident page (known error with its
workaround, the repeat-fault hint), opens a problem from the repeated incidents in one click, marks
it a known error, then finds it in the known-error base on a phone-sized screen."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from accounts.choices import Role
from incidents.services import incident_create
from problems.models import Problem
from problems.services import problem_create, problem_transition
from tests.e2e.test_journey import DESKTOP, PHONE, login, shot
from tests.factories import CIFactory, OrganizationFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(transactional_db) -> dict[str, Any]:
    now = timezone.now()
    org = OrganizationFactory(name="市政务数据中心", code="gov-e2e")
    switch = CIFactory(organization=org, name="核心交换机-01")
    camera = CIFactory(organization=org, name="摄像机-07")
    operator = UserFactory(username="op_e2e", role=Role.OPERATOR)
    analyst = UserFactory(username="analyst_e2e", name="Analyst Liu", role=Role.ANALYST)
    incidents = [incident_create(actor=operator, organization=org, ci=camera, title=f"摄像机画面黑屏 {n}",
                                 impact="low", urgency="medium", now=now) for n in range(3)]
    ke = problem_create(actor=analyst, organization=org, title="核心交换机端口故障", ci=switch,
                        root_cause="固件缺陷", workaround="切换到备用端口", now=now)
    ke = problem_transition(problem_id=ke.pk, actor=analyst, action="known_error", now=now)
    on_switch = incident_create(actor=operator, organization=org, ci=switch, title="交换机端口灯不亮",
                                impact="low", urgency="medium", now=now)
    return {"incidents": incidents, "ke": ke, "on_switch": on_switch, "camera": camera}


def test_analyst_problem_journey(run_with_browser, live_server, world, artifacts):
    run_with_browser(lambda browser: journey(browser, live_server, world, artifacts))


def journey(browser: Any, live_server: Any, world: dict[str, Any], artifacts: Any) -> None:
    page = login(browser, live_server.url, "analyst_e2e", DESKTOP)
    ke = world["ke"]
    page.goto(f"{live_server.url}/incidents/{world['on_switch'].pk}/")
    panel = page.locator("#problems-panel")
    panel.wait_for()
    assert f"known error {ke.known_error_id} — workaround: 切换到备用端口" in panel.inner_text()
    shot(page, artifacts, "problems-01-incident-panel")

    page.goto(f"{live_server.url}/incidents/{world['incidents'][0].pk}/")
    page.locator("#problems-panel").wait_for()
    assert "3 incidents on this device" in page.locator("#problems-panel").inner_text()
    page.locator("#problems-panel button", has_text="Open problem from these incidents").click()
    page.wait_for_url("**/problems/*/")
    problem = Problem.objects.exclude(pk=ke.pk).get()
    assert problem.ci == world["camera"] and problem.incidents.count() == 3
    for inc in world["incidents"]:
        assert inc.number in page.locator("#incidents").inner_text()

    page.locator("details[data-action=known_error] summary").click()
    page.fill("#id_known_error-root_cause", "PoE 供电不足")
    page.fill("#id_known_error-workaround", "重启 PoE 端口")
    page.locator("details[data-action=known_error] button[type=submit]").click()
    page.wait_for_load_state()
    problem.refresh_from_db()
    assert problem.status == "known_error"
    assert page.locator("[data-status]").first.inner_text().strip() == "Known error"
    shot(page, artifacts, "problems-02-known-error")
    page.context.close()

    phone = login(browser, live_server.url, "analyst_e2e", PHONE)
    phone.goto(f"{live_server.url}/problems/known-errors/")
    phone.fill("#ke-q", "PoE端口")
    phone.keyboard.press("Enter")
    phone.wait_for_url("**q=*")  # the result page, not the unfiltered list it was typed on
    phone.wait_for_load_state()
    text = phone.locator("main").inner_text() if phone.locator("main").count() else phone.content()
    assert problem.known_error_id in text and ke.known_error_id not in text
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shot(phone, artifacts, "problems-03-known-errors-phone")
    phone.context.close()
