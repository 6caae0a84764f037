"""Privileges on accounts and the audit chains (issue #11, finding 9; README "Roles and permissions").
Nobody grants a role at or above their own or touches an account at or above their level (only a
superuser makes managers); the full audit verification is for superusers, managers and analysts."""

from __future__ import annotations

import pytest

from accounts.choices import Role
from accounts.permissions import ROLE_RANK, can_change_account, can_grant_role, can_verify_all_audit_chains
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Brand-new-2026-pass!"


def _new_user(role, **extra):
    return {"username": f"new-{role}", "password": "Long-enough-2026!", "role": role, **extra}


def test_every_role_is_ranked():
    assert set(ROLE_RANK) == set(Role.values)


@pytest.mark.parametrize("role", [Role.MANAGER])
def test_manager_cannot_create_a_manager(api_as, manager, role):
    res = api_as(manager).post("/api/v1/users/", _new_user(role), format="json")
    assert res.status_code == 403, res.content
    assert not UserFactory._meta.model.objects.filter(username=f"new-{role}").exists()


def test_manager_creates_roles_below_and_superuser_creates_managers(api_as, manager):
    assert api_as(manager).post("/api/v1/users/", _new_user(Role.REGIONAL_LEAD), format="json").status_code == 201
    admin = UserFactory(username="root", is_superuser=True, is_staff=True, role=Role.MANAGER)
    assert api_as(admin).post("/api/v1/users/", _new_user(Role.MANAGER), format="json").status_code == 201


def test_manager_cannot_reset_another_managers_password_or_promote(api_as, manager, engineer):
    other = UserFactory(username="manager2", role=Role.MANAGER)
    client = api_as(manager)
    res = client.patch(f"/api/v1/users/{other.pk}/", {"password": NEW_PASSWORD}, format="json")
    assert res.status_code == 403
    other.refresh_from_db()
    assert other.check_password(PASSWORD) and not other.check_password(NEW_PASSWORD)
    assert client.patch(f"/api/v1/users/{other.pk}/", {"is_active": False}, format="json").status_code == 403
    assert client.patch(f"/api/v1/users/{engineer.pk}/", {"role": "manager"}, format="json").status_code == 403
    assert client.patch(f"/api/v1/users/{manager.pk}/", {"role": "manager"}, format="json").status_code == 403
    engineer.refresh_from_db()
    assert engineer.role == Role.ENGINEER


def test_manager_resets_the_password_of_a_user_below(api_as, manager, engineer):
    res = api_as(manager).patch(f"/api/v1/users/{engineer.pk}/", {"password": NEW_PASSWORD}, format="json")
    assert res.status_code == 200, res.content
    assert "password" not in res.json()
    engineer.refresh_from_db()
    assert engineer.check_password(NEW_PASSWORD)
    weak = api_as(manager).patch(f"/api/v1/users/{engineer.pk}/", {"password": "123"}, format="json")
    assert weak.status_code == 400 and "password" in weak.json()


def test_superuser_resets_a_managers_password(api_as, manager):
    admin = UserFactory(username="root", is_superuser=True, is_staff=True, role=Role.MANAGER)
    res = api_as(admin).patch(f"/api/v1/users/{manager.pk}/", {"password": NEW_PASSWORD}, format="json")
    assert res.status_code == 200, res.content
    manager.refresh_from_db()
    assert manager.check_password(NEW_PASSWORD)


@pytest.mark.parametrize("role", [r for r in Role.values if r != Role.MANAGER])
def test_no_other_role_manages_accounts(api_as, role, engineer, org_a):
    actor = UserFactory(username=f"actor-{role}", role=role,
                        organization=org_a if role in (Role.CUSTOMER, Role.AUDITOR) else None)
    client = api_as(actor)
    assert client.post("/api/v1/users/", _new_user(Role.CUSTOMER, organization=org_a.pk),
                       format="json").status_code in (403, 404)
    assert client.patch(f"/api/v1/users/{engineer.pk}/", {"password": NEW_PASSWORD},
                        format="json").status_code in (403, 404)
    engineer.refresh_from_db()
    assert not engineer.check_password(NEW_PASSWORD)


def test_rank_rules():
    admin = UserFactory.build(pk=1, is_superuser=True, role=Role.OPERATOR)
    mgr = UserFactory.build(pk=2, role=Role.MANAGER)
    lead = UserFactory.build(pk=3, role=Role.REGIONAL_LEAD)
    assert can_grant_role(admin, Role.MANAGER) and can_grant_role(admin, Role.MANAGER, is_superuser=False)
    assert not can_grant_role(admin, Role.MANAGER, is_superuser=True)
    assert not can_grant_role(mgr, Role.MANAGER) and can_grant_role(mgr, Role.REGIONAL_LEAD)
    assert not can_grant_role(lead, Role.ENGINEER)  # regional leads do not manage accounts
    assert can_change_account(admin, mgr) and not can_change_account(mgr, admin)
    assert can_change_account(mgr, lead) and not can_change_account(mgr, mgr)
    assert not can_change_account(lead, UserFactory.build(pk=4, role=Role.ENGINEER))


@pytest.mark.parametrize("role", Role.values)
def test_full_audit_verification_only_for_managers_and_analysts(api_as, role, org_a, make_incident):
    inc = make_incident(organization=org_a)
    actor = UserFactory(username=f"v-{role}", role=role, organization=org_a if role in (Role.CUSTOMER, Role.AUDITOR) else None)
    client = api_as(actor)
    full = client.get("/api/v1/audit/verify/")
    kind_only = client.get("/api/v1/audit/verify/", {"kind": "incident"})
    one = client.get("/api/v1/audit/verify/", {"kind": "incident", "id": inc.pk})
    if role in (Role.MANAGER, Role.ANALYST):
        assert full.status_code == 200 and kind_only.status_code == 200
        assert can_verify_all_audit_chains(actor)
    else:
        assert full.status_code in (400, 403) and kind_only.status_code in (400, 403)
        assert not can_verify_all_audit_chains(actor)
    assert one.status_code == 200  # one ticket they can see: everybody (org A's customer included)


def test_per_ticket_verification_needs_the_ticket_to_be_visible(api_as, org_b, customer_a, make_incident):
    theirs = make_incident(organization=org_b)
    assert api_as(customer_a).get("/api/v1/audit/verify/", {"kind": "incident", "id": theirs.pk}).status_code == 404


def test_superuser_verifies_everything(api_as, org_a, make_incident):
    make_incident(organization=org_a)
    admin = UserFactory(username="root", is_superuser=True, is_staff=True, role=Role.OPERATOR)
    assert api_as(admin).get("/api/v1/audit/verify/").status_code == 200
