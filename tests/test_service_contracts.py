"""Service contract periods per organisation: the current one (the period containing today) shown
on the organisation in the API and the admin, flagged when it ends within 60 days."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import ServiceContract, current_contract

pytestmark = pytest.mark.django_db


def test_current_contract_and_ending_flag(org_a, org_b, api_as, manager, admin_client):
    today = timezone.localdate()
    ServiceContract.objects.create(organization=org_a, number="YW-2025-01", starts_on=date(2025, 1, 1),
                                   ends_on=today - timedelta(days=1), service_level="5×8")
    running = ServiceContract.objects.create(organization=org_a, number="YW-2026-01", starts_on=today - timedelta(days=300),
                                             ends_on=today + timedelta(days=45), service_level="7×24, 2 h on site")
    assert current_contract(org_a.pk, today) == running and running.ending_soon(today)
    assert not running.ending_soon(today - timedelta(days=30))
    assert current_contract(org_b.pk, today) is None
    body = api_as(manager).get(f"/api/v1/organizations/{org_a.pk}/").json()
    assert body["current_contract"]["number"] == "YW-2026-01" and body["current_contract"]["ending_soon"] is True
    assert api_as(manager).get(f"/api/v1/organizations/{org_b.pk}/").json()["current_contract"] is None
    page = admin_client.get("/admin/accounts/organization/")
    assert page.status_code == 200 and "YW-2026-01" in page.content.decode()
    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceContract.objects.create(organization=org_b, number="BAD", starts_on=today, ends_on=today - timedelta(days=1))
