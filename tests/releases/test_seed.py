"""The demo seeder: after the changes seeder, three city-psb releases (scheduled, planning,
verified with its deployment), through the services; idempotent; every history verifies."""

from __future__ import annotations

from io import StringIO

import pytest

from accounts.choices import Role
from changes.seed_data import seed as seed_changes
from releases.models import Deployment, Release, ReleaseChange
from releases.seed_data import seed
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
    seed_changes(now=now, stdout=out)
    seed(now=now, stdout=out)
    seed(now=now, stdout=out)
    assert sorted(Release.objects.values_list("status", flat=True)) == ["planning", "scheduled", "verified"]
    assert ReleaseChange.objects.filter(open=True).count() == 4  # scheduled 1, planning 2, verified 1
    assert Deployment.objects.get().result == "success"
    assert list(chain_verify(ticket_model=Release)) == []
    assert "releases: 3 releases" in out.getvalue()
