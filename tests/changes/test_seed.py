"""The demo seeder: CABs, templates, windows and changes in several states, through the services;
idempotent, and every change's history verifies."""

from __future__ import annotations

from io import StringIO

import pytest

from accounts.choices import Role
from changes.models import CAB, Change, FreezeWindow, MaintenanceWindow
from changes.seed_data import seed
from tests.factories import CIFactory, ContactFactory, CustomerFactory, OrganizationFactory, UserFactory
from tickets.audit import chain_verify

pytestmark = pytest.mark.django_db


def test_seed_is_idempotent_and_covers_the_states(now):
    for username, role in (("lead", Role.REGIONAL_LEAD), ("manager", Role.MANAGER), ("analyst", Role.ANALYST),
                           ("engineer1", Role.ENGINEER), ("engineer2", Role.ENGINEER)):
        UserFactory(username=username, role=role)
    org = OrganizationFactory(code="city-psb", name="City PSB")
    CustomerFactory(username="city-psb-user", organization=org)
    ContactFactory(organization=org, email="it@psb.example.com")
    for n in range(4):
        CIFactory(organization=org, name=f"psb-ci-{n}")
    out = StringIO()
    seed(now=now, stdout=out)
    seed(now=now, stdout=out)
    assert CAB.objects.count() == 2 and FreezeWindow.objects.count() == 1
    assert MaintenanceWindow.objects.count() == 1
    assert sorted(Change.objects.values_list("status", flat=True)) == [
        "cab_approval", "closed", "customer_approval", "draft", "scheduled"]
    assert list(chain_verify(ticket_model=Change)) == []
