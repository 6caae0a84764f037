"""The portal shows the service hotline it tells customers to call, and a month's report once (the
latest published run), not once per generation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from reports.choices import RunStatus
from reports.models import ReportRun
from reports.selectors import report_run_latest

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_as(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def test_hotline_of_the_organisation_or_the_site(client_as, customer_a, org_a, settings):
    settings.HOTLINE_NUMBER = "400-800-7000"
    client = client_as(customer_a)
    for url in ("/portal/", "/portal/report/"):
        html = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert 'href="tel:4008007000"' in html and "400-800-7000" in html, url
    org_a.hotline = "0571-12345"
    org_a.save()
    html = client.get("/portal/report/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "0571-12345" in html and "400-800-7000" not in html
    assert "服务热线" in html


def test_no_hotline_configured_says_nothing_wrong(client_as, customer_a, settings):
    settings.HOTLINE_NUMBER = ""
    html = client_as(customer_a).get("/portal/report/").content.decode()
    assert "tel:" not in html


def _run(org, kind="monthly_fault_summary", month=10, created=0, published=True, incident=None):
    start = datetime(2026, month, 1, tzinfo=UTC)
    return ReportRun.objects.create(
        kind=kind, organization=org, period=f"2026-{month:02d}", period_start=start, period_end=start + timedelta(30),
        language="zh-hans", status=RunStatus.DONE, published=published, published_at=timezone.now(), pages=3,
        created_at=timezone.now() + timedelta(minutes=created), incident=incident)


def test_portal_lists_the_latest_run_per_kind_and_period(client_as, customer_a, org_a, make_incident):
    old = _run(org_a, created=0)
    new = _run(org_a, created=5)
    september = _run(org_a, month=9)
    other_kind = _run(org_a, kind="service_summary")
    unpublished_newer = _run(org_a, created=9, published=False)
    inc1, inc2 = make_incident(organization=org_a), make_incident(organization=org_a)
    analysis1 = _run(org_a, kind="fault_analysis", incident=inc1)
    analysis2 = _run(org_a, kind="fault_analysis", incident=inc2)
    html = client_as(customer_a).get("/portal/reports/").content.decode()
    for run in (new, september, other_kind, analysis1, analysis2):
        assert f"/portal/reports/{run.pk}/pdf/" in html, run.kind
    assert f"/portal/reports/{old.pk}/pdf/" not in html
    assert f"/portal/reports/{unpublished_newer.pk}/pdf/" not in html
    assert set(report_run_latest(ReportRun.objects.all()).values_list("pk", flat=True)) == {
        unpublished_newer.pk, september.pk, other_kind.pk, analysis1.pk, analysis2.pk}
