"""Staff sign-in with the company directory (LDAP / Active Directory) through django-auth-ldap.

On when LDAP_SERVER_URI is set (settings, "Enterprise sign-in"). The directory decides who the person is
and, from their groups at each sign-in, which OpsDesk role they have (LDAP_ROLE_MAP, first match wins).
Local accounts stay local: a username that exists here as a local account (every customer, and staff
made in OpsDesk) is never sent to the directory, and a directory user can never be a customer."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.dispatch import receiver
from django_auth_ldap.backend import LDAPBackend, populate_user

from .choices import AuthSource, Role
from .models import User


def _normal_dn(dn: str) -> str:
    return ",".join(part.strip() for part in dn.lower().split(","))


def role_for_groups(group_dns: Any, role_map: list[tuple[str, str]]) -> str | None:
    """The role of the first LDAP_ROLE_MAP entry whose group the user is in ("admin" included)."""
    mine = {_normal_dn(dn) for dn in group_dns}
    for dn, role in role_map:
        if _normal_dn(dn) in mine:
            return role
    return None


def apply_directory_role(user: User, role: str, source: str) -> None:
    """Set the role a directory or single sign-on login maps to; "admin" = superuser with the manager role.
    Never a customer (the maps refuse that role)."""
    if role == Role.CUSTOMER:
        raise ValueError("a directory user is never a customer")
    user.auth_source = source
    user.is_superuser = user.is_staff = role == "admin"
    user.role = Role.MANAGER if role == "admin" else role
    user.organization = None


def local_account_exists(username: str) -> bool:
    """A local account (customer or staff made here) under this name: the directory is not asked."""
    return User.objects.filter(username__iexact=username.strip()).exclude(auth_source=AuthSource.LDAP).exists()


class DirectoryBackend(LDAPBackend):
    def authenticate(self, request: Any, username: str | None = None, password: str | None = None,
                     **kwargs: Any) -> Any:
        if not username or local_account_exists(username):
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)

    def authenticate_ldap_user(self, ldap_user: Any, password: str) -> Any:
        user = super().authenticate_ldap_user(ldap_user, password)
        if user is not None:
            from .services import user_sync_role_group

            user_sync_role_group(user=user)
        return user


@receiver(populate_user)
def _role_from_groups(sender: Any, user: User, ldap_user: Any, **kwargs: Any) -> None:
    role = role_for_groups(ldap_user.group_dns, settings.LDAP_ROLE_MAP)
    if role is None:  # AUTH_LDAP_REQUIRE_GROUP refuses these before here; never leave an old role behind
        user.is_active = False
        return
    apply_directory_role(user, role, AuthSource.LDAP)
