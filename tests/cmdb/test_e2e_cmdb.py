"""Browser journey of an operator on a phone-sized screen (375×812) in the system Chromium: the CI
page loads its impact panel by htmx (affected service), a relationship is added from the page, and
a CSV import goes through its dry run and confirmation. Screenshots: test-artifacts/cmdb-*.png."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from accounts.choices import Role
from cmdb.models import CI, CIClass, CIRelation
from cmdb.services import ci_create, relation_create
from tests.factories import PASSWORD, OrganizationFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_operator_reads_impact_relates_and_imports_on_a_phone(run_with_browser, live_server, artifacts,
                                                               tmp_path):
    run_with_browser(lambda browser: journey(browser, live_server, artifacts, tmp_path))


def journey(browser: Any, live_server: Any, artifacts: Path, tmp_path: Path) -> None:
    org = OrganizationFactory(name="City Data Centre", code="city-dc")
    UserFactory(username="op_li", name="Li Fang", role=Role.OPERATOR)
    switch = CIClass.objects.create(code="switch", name="Switch")
    service = CIClass.objects.create(code="service", name="Service", is_service=True)
    core = ci_create(name="core-switch-1", ci_class=switch, organization=org)
    access = ci_create(name="access-switch-7", ci_class=switch, organization=org)
    portal = ci_create(name="Citizen portal", ci_class=service, organization=org)
    relation_create(source=access, target=core, type="connects_to", actor=None)
    relation_create(source=portal, target=access, type="depends_on", actor=None)
    spare = ci_create(name="spare-switch-9", ci_class=switch, organization=org)

    context = browser.new_context(viewport={"width": 375, "height": 812}, locale="en-US",
                                  timezone_id="Asia/Shanghai", is_mobile=True, has_touch=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/login/?next=/cmdb/{core.pk}/")
    page.fill("#id_username", "op_li")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(rf"/cmdb/{core.pk}/$"))
    panel = page.locator(".impact-panel")
    panel.wait_for()
    assert "Citizen portal" in panel.inner_text() and "access-switch-7" in panel.inner_text()
    page.screenshot(path=str(artifacts / "cmdb-01-ci-impact.png"), full_page=True)

    page.click("summary:has-text('Add a relationship')")
    page.select_option("#id_relation", "out:contains")
    page.select_option("#id_other", str(spare.pk))
    page.click("form[action$='/relations/'] button[type=submit]")
    page.wait_for_url(re.compile(rf"/cmdb/{core.pk}/#relations$"))
    assert CIRelation.objects.filter(source=core, target=spare, type="contains", active=True).exists()
    assert "spare-switch-9" in page.locator("#relations").inner_text()

    upload = tmp_path / "estate.csv"
    upload.write_text("organization,ci_class,name,serial,site,room\ncity-dc,switch,edge-switch-1,ES-1,HQ,101\n",
                      encoding="utf-8")
    page.goto(f"{live_server.url}/cmdb/import/")
    page.set_input_files("#id_file", str(upload))
    page.click("button:has-text('Check file (dry run)')")
    page.locator("text=Dry run: nothing written yet").wait_for()
    assert not CI.objects.filter(serial="ES-1").exists()
    page.screenshot(path=str(artifacts / "cmdb-02-import-dry-run.png"), full_page=True)
    page.click("button:has-text('Confirm import')")
    page.locator(".message-success").wait_for()
    assert CI.objects.get(serial="ES-1").location == "HQ / 101"
    context.close()
