"""The engineer's own team pages at 375 px in Chinese: the duty roster, leave (list, request with
the hand-over plan) and their published scorecard with its trend; nothing scrolls sideways."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.choices import Role
from duty.choices import DutyRole
from duty.models import DutyMember, DutyRule
from team.kpi import scorecards_propose, scorecards_publish
from tests.e2e.test_journey import PHONE, shot
from tests.e2e.test_layout_1366 import login
from tests.factories import OrganizationFactory, SupportGroupFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_engineer_team_pages_fit_a_phone(browser, live_server, artifacts, transactional_db):
    now = timezone.now()
    OrganizationFactory(name="市政务数据中心", code="gov")
    eng = UserFactory(username="eng_phone", name="张伟", role=Role.ENGINEER)
    mate = UserFactory(username="eng_mate", name="刘洋", role=Role.ENGINEER)
    manager = UserFactory(username="pm_phone", name="周军", role=Role.MANAGER)
    group = SupportGroupFactory(name="城东运维组", region="城东")
    group.members.add(eng, mate)
    rule = DutyRule.objects.create(group=group, role=DutyRole.PRIMARY, starts_at=now - timedelta(hours=2),
                                   shift_length=timedelta(hours=12), name="城东轮班")
    for i, person in enumerate((eng, mate)):
        DutyMember.objects.create(rule=rule, user=person, position=i)
    month = now.date().replace(day=1)
    scorecards_propose(actor=manager, month=month, now=now)
    scorecards_publish(actor=manager, month=month, now=now)

    page = login(browser, live_server.url, "eng_phone", locale="zh-CN", viewport=PHONE)
    for path, name in (("/duty/", "duty-roster"), ("/team/leave/", "leave-list"), ("/team/leave/new/", "leave-new"),
                       ("/team/kpi/mine/", "kpi-mine")):
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
        shot(page, artifacts, f"team-375-{name}")
    page.click("main a[href^='/team/kpi/']")
    page.wait_for_load_state()
    assert "客户满意度" in page.content()
    shot(page, artifacts, "team-375-scorecard")
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).map(e => e.tagName + '.' + e.className + ':' + (e.textContent || '').slice(0, 40))""")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), wide[:8]
    shot(page, artifacts, "team-375-scorecard")
    page.context.close()
