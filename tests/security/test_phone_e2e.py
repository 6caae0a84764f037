"""The security pages on a phone (375 px) in Chinese: the findings list, a finding with its decision
form, the import preview, the antivirus list and the overview, and the end-of-life and RMA pages —
no sideways scroll."""

from __future__ import annotations

import pytest

from accounts.choices import Role
from security.models import Finding
from security.services import antivirus_report, scan_import_apply, scan_import_preview
from spares.services import rma_create
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_journey import PHONE, shot
from tests.e2e.test_layout_1366 import login
from tests.factories import UserFactory

from .conftest import at, fixture_bytes

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_security_pages_fit_a_phone_in_chinese(browser, live_server, hosts, org_a, calendar_2026):
    ARTIFACTS.mkdir(exist_ok=True)
    pm = UserFactory(username="pm-sec", name="项目经理", role=Role.MANAGER)
    scan = scan_import_preview(organization=org_a, content=fixture_bytes("openvas-report.xml"), filename="r.xml",
                               full_scan=True, actor=pm, now=at(2026, 10, 9))
    preview = scan_import_preview(organization=org_a, content=fixture_bytes("scan.nessus"), filename="n.nessus",
                                  full_scan=False, actor=pm, now=at(2026, 10, 9))
    scan_import_apply(import_id=scan.pk, actor=pm, now=at(2026, 10, 9))
    antivirus_report(ci=hosts["db"], actor=pm, source="api", now=at(2026, 10, 9), data={
        "product": "360 天擎终端安全管理系统", "last_scan_result": "threats"})
    hosts["web"].warranty_end, hosts["web"].vendor = at(2027, 1, 1).date(), "Dell"
    hosts["web"].save()
    rma_create(ci=hosts["web"], actor=pm, now=at(2026, 10, 9), sent_on=at(2026, 10, 9).date(), fault="电源故障")
    finding = Finding.objects.get(port="22/tcp")
    page = login(browser, live_server.url, "pm-sec", locale="zh-CN", viewport=PHONE)
    for name, path in (("list", "/security/?status="), ("finding", f"/security/findings/{finding.pk}/"),
                       ("preview", f"/security/imports/{preview.pk}/"), ("antivirus", "/security/antivirus/"),
                       ("overview", f"/security/overview/?organization={org_a.pk}&month=2026-09"),
                       ("unmatched", "/security/unmatched/"), ("eol", "/cmdb/end-of-life/?months=1200"),
                       ("rmas", "/spares/rmas/")):
        page.goto(f"{live_server.url}{path}")
        page.locator("h1").first.wait_for()
        width = page.evaluate("() => document.documentElement.scrollWidth")
        shot(page, ARTIFACTS, f"security-{name}-phone")
        assert width <= 380, (name, width)
    page.goto(f"{live_server.url}/security/findings/{finding.pk}/")
    page.fill("#id_reason", "内网隔离")
    page.get_by_role("button", name="接受风险").click()
    page.locator("h1").first.wait_for()
    finding.refresh_from_db()
    assert finding.status == "accepted" and finding.reason == "内网隔离"
