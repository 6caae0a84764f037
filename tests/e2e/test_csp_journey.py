"""Issue #11 finding 8 in a real browser: pages under the strict Content-Security-Policy report no
violation, and the behaviour that used an inline handler (the dashboard's organisation picker) works."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.choices import Role
from tests.factories import OrganizationFactory, UserFactory

from .test_journey import DESKTOP, login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_pages_raise_no_csp_violation(browser: Any, live_server: Any) -> None:
    org = OrganizationFactory(name="CSP Water Bureau", code="cspw")
    UserFactory(username="csp_boss", role=Role.MANAGER, is_staff=True, is_superuser=True)
    page = login(browser, live_server.url, "csp_boss", DESKTOP)
    violations: list[str] = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation',"
        " e => console.error('Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
    )
    for path in ("/", "/incidents/", "/hotline/", "/reports/", "/cmdb/", "/changes/", "/api/docs/", "/admin/"):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/reports/dashboard/")
    with page.expect_navigation():
        page.select_option("#d-org", str(org.pk))
    assert f"organization={org.pk}" in page.url
    assert violations == []
    page.context.close()
