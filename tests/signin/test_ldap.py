"""Staff sign in with the company directory: a real OpenLDAP server (slapd) started by the tests,
the real login page, roles from groups at each sign-in, local customer accounts never sent to LDAP."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from accounts.choices import AuthSource, Role
from accounts.models import User
from opsdesk.signin_settings import ldap_settings, role_map_parse
from tests.factories import CustomerFactory

from . import slapd

pytestmark = pytest.mark.django_db


def _login(client, username: str, password: str):
    return client.post("/login/", {"username": username, "password": password})


def _move(directory, group: str, uid: str, op: str) -> None:
    directory.ldif("ldapmodify", f"dn: cn={group},ou=groups,{slapd.SUFFIX}\nchangetype: modify\n"
                                 f"{op}: member\nmember: uid={uid},ou=people,{slapd.SUFFIX}\n")


def test_directory_engineer_signs_in_with_the_engineer_role(client, ldap_on):
    response = _login(client, "wang.wei", "Engineer-Pass-1")
    assert response.status_code == 302 and response["Location"] == "/"
    user = User.objects.get(username="wang.wei")
    assert (user.role, user.auth_source, user.name, user.email) == (
        Role.ENGINEER, AuthSource.LDAP, "Wang Wei", "wang.wei@example.org")
    assert not user.has_usable_password() and not user.is_superuser and user.organization is None
    assert list(user.groups.values_list("name", flat=True)) == [Role.ENGINEER.value]
    assert client.get("/", follow=True).status_code == 200  # a staff page
    assert "(uid=wang.wei)" in ldap_on.log_text()


def test_group_change_changes_the_role_at_the_next_sign_in(client, ldap_on):
    assert _login(client, "li.na", "Manager-Pass-1").status_code == 302
    assert User.objects.get(username="li.na").role == Role.MANAGER  # first match of the map wins
    _move(ldap_on, "opsdesk-managers", "li.na", "delete")
    try:
        client.post("/logout/")
        assert _login(client, "li.na", "Manager-Pass-1").status_code == 302
        user = User.objects.get(username="li.na")
        assert user.role == Role.DISPATCHER
        assert list(user.groups.values_list("name", flat=True)) == [Role.DISPATCHER.value]
    finally:
        _move(ldap_on, "opsdesk-managers", "li.na", "add")


def test_wrong_password_and_unmapped_groups_are_refused(client, ldap_on):
    response = _login(client, "wang.wei", "not-the-password")
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert response.context["form"].non_field_errors()
    # In the directory but in no mapped group: refused, and no account is made.
    assert _login(client, "zhao.lei", "Nobody-Pass-1").status_code == 200
    assert not User.objects.filter(username="zhao.lei").exists()
    assert _login(client, "no.such.person", "whatever-1").status_code == 200


def test_axes_lockout_applies_to_directory_sign_in(client, ldap_on, settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    for _i in range(3):
        _login(client, "wang.wei", "wrong-password")
    response = _login(client, "wang.wei", "Engineer-Pass-1")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_local_customer_is_never_looked_up_in_the_directory(client, ldap_on, org_a):
    customer = CustomerFactory(username="acme.customer", organization=org_a)
    customer.set_password("Local-Pass-42")
    customer.save()
    before = len(ldap_on.log_text())
    # The directory has an acme.customer too, with another password: it is never asked.
    assert _login(client, "acme.customer", "Directory-Pass-1").status_code == 200
    assert _login(client, "ACME.customer", "Directory-Pass-1").status_code == 200
    assert "acme.customer" not in ldap_on.log_text()[before:].lower()
    response = _login(client, "acme.customer", "Local-Pass-42")
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.role, customer.auth_source, customer.organization_id) == (Role.CUSTOMER, AuthSource.LOCAL, org_a.pk)


def test_the_role_map_never_maps_a_customer():
    with pytest.raises(ImproperlyConfigured):
        role_map_parse("cn=x,dc=example,dc=org=customer", variable="LDAP_ROLE_MAP")
    with pytest.raises(ImproperlyConfigured):
        ldap_settings({"LDAP_SERVER_URI": "ldap://127.0.0.1:1", "LDAP_ROLE_MAP": ""})
    assert role_map_parse("cn=a,ou=g,dc=x=engineer; cn=b,dc=x=admin", variable="V") == [
        ("cn=a,ou=g,dc=x", "engineer"), ("cn=b,dc=x", "admin")]
