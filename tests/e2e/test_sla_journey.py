"""A level I (major) incident shows its SLA targets with a live countdown on the detail page, and the
dispatch queue shows the next deadline. Screenshots go to test-artifacts/."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.choices import Role
from incidents.services import incident_create
from tests.factories import CIFactory, OrganizationFactory, UserFactory

from .test_journey import DESKTOP, login, shot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_major_incident_countdown_ticks(browser, live_server, artifacts):
    org = OrganizationFactory(name="Municipal Water Bureau", code="water")
    ci = CIFactory(organization=org, name="Core switch", location="Machine room")
    operator = UserFactory(username="op_sla", role=Role.OPERATOR)
    UserFactory(username="disp_sla", name="Zhao Min", role=Role.DISPATCHER)
    now = timezone.now()
    major = incident_create(actor=operator, organization=org, ci=ci, title="Core switch down, whole site offline",
                            impact="high", urgency="high", reported_at=now - timedelta(minutes=3), now=now)
    incident_create(actor=operator, organization=org, title="Printer jam", impact="low", urgency="low", now=now)
    page = login(browser, live_server.url, "disp_sla", DESKTOP)
    page.goto(f"{live_server.url}/incidents/{major.pk}/")
    countdown = page.locator("[data-sla-target='respond'] .countdown")
    first = countdown.inner_text()
    assert re.fullmatch(r"\d\d:\d\d:\d\d", first), first
    page.wait_for_timeout(2100)
    second = countdown.inner_text()
    assert second != first and second < first  # it is ticking down
    assert page.locator("[data-sla-target='respond'] .sla-badge").inner_text().strip() == "Running"
    assert "Next update due" in page.locator("#progress").inner_text()
    shot(page, artifacts, "sla-01-major-incident-countdown")
    page.goto(f"{live_server.url}/queue/")
    rows = page.locator("tbody tr")
    assert "Core switch down" in rows.nth(0).inner_text()
    shot(page, artifacts, "sla-02-queue-next-deadline")
    page.context.close()
