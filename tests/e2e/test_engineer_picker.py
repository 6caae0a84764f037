"""The engineer picker offers only the members of the chosen support group (dispatcher queue and the
incident's assign form), with a data attribute and static JS (no inline script: CSP)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.choices import Role
from incidents.services import incident_create
from tests.e2e.test_journey import DESKTOP, shot
from tests.e2e.test_layout_1366 import login
from tests.factories import OrganizationFactory, SupportGroupFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def visible_options(page, selector: str) -> list[str]:
    return page.eval_on_selector(
        selector, "s => [...s.options].filter(o => o.value && !o.hidden && !o.disabled).map(o => o.textContent.trim())")


def test_engineers_filtered_by_group(browser, live_server, artifacts, transactional_db):
    north, south = SupportGroupFactory(name="北区"), SupportGroupFactory(name="南区")
    wang = UserFactory(username="wang", name="王强", role=Role.ENGINEER)
    li = UserFactory(username="li", name="李明", role=Role.ENGINEER)
    zhao = UserFactory(username="zhao", name="赵磊", role=Role.ENGINEER)
    north.members.add(wang, zhao)
    south.members.add(li, zhao)
    dispatcher = UserFactory(username="disp", name="调度员", role=Role.DISPATCHER)
    inc = incident_create(actor=dispatcher, organization=OrganizationFactory(), title="摄像头离线", impact="low",
                          urgency="medium", now=timezone.now())

    page = login(browser, live_server.url, "disp", locale="zh-CN", viewport=DESKTOP)
    page.goto(f"{live_server.url}/queue/")
    group, engineer = f"#g{inc.pk}", f"#e{inc.pk}"
    # The people list is in the page once (a <template>); a row's picker is filled when it is used.
    assert page.content().count('data-groups="') == 3
    page.focus(engineer)
    assert set(visible_options(page, engineer)) == {"王强", "李明", "赵磊"}
    page.select_option(group, str(north.pk))
    assert set(visible_options(page, engineer)) == {"王强", "赵磊"}
    page.select_option(engineer, str(wang.pk))
    page.select_option(group, str(south.pk))
    assert set(visible_options(page, engineer)) == {"李明", "赵磊"}
    assert page.locator(engineer).input_value() == ""  # 王强 is not in 南区: the choice is cleared
    page.select_option(engineer, str(li.pk))
    shot(page, artifacts, "queue-engineer-picker-zh")
    page.click(f"form:has({group}) button[type=submit]")
    page.wait_for_load_state()
    inc.refresh_from_db()
    assert (inc.group_id, inc.assignee_id) == (south.pk, li.pk)

    # The incident page's assign form filters the same way.
    page.goto(f"{live_server.url}/incidents/{inc.pk}/")
    page.click("details[data-action='assign'] > summary")
    page.locator("select[name='assign-group']").select_option(str(north.pk))
    assert set(visible_options(page, "select[name='assign-assignee']")) == {"王强", "赵磊"}

    # The incident list's bulk bar offers the chosen group's engineers only (issue 12's gap).
    page.goto(f"{live_server.url}/incidents/")
    page.select_option("#bulk-group", str(north.pk))
    assert set(visible_options(page, "#bulk-assignee")) == {"王强", "赵磊"}
    page.context.close()
