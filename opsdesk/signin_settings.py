"""The directory sign-in settings (django-auth-ldap's AUTH_LDAP_*) built from environment variables, so
settings.py and the tests (which point them at the slapd they start) build them the same way."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured

STAFF_ROLE_NAMES = frozenset({"operator", "dispatcher", "engineer", "analyst", "supervisor", "regional_lead",
                              "manager", "doc_admin", "admin"})


def _flag(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def role_map_parse(text: str, *, variable: str) -> list[tuple[str, str]]:
    """ "key=role;key=role" → [(key, role)]; the key may itself hold "=" (a DN), the role is after the last.
    Only staff roles (and "admin"): a directory or single sign-on user is never a customer."""
    pairs = []
    for item in text.split(";"):
        if not item.strip():
            continue
        key, sep, role = item.strip().rpartition("=")
        if not sep or not key.strip() or role.strip() not in STAFF_ROLE_NAMES:
            raise ImproperlyConfigured(
                f"{variable}: {item!r} is not 'group=role' with a staff role or admin (customer is never mapped)")
        pairs.append((key.strip(), role.strip()))
    return pairs


def ldap_settings(env: Mapping[str, str]) -> dict[str, Any]:
    import ldap
    from django_auth_ldap.config import (
        GroupOfNamesType,
        GroupOfUniqueNamesType,
        LDAPGroupQuery,
        LDAPSearch,
        NestedActiveDirectoryGroupType,
        PosixGroupType,
    )

    role_map = [(dn.lower(), role) for dn, role in role_map_parse(env.get("LDAP_ROLE_MAP", ""),
                                                                   variable="LDAP_ROLE_MAP")]
    if not role_map:
        raise ImproperlyConfigured("LDAP_SERVER_URI is set but LDAP_ROLE_MAP maps no group to a role.")
    group_types = {"groupofnames": GroupOfNamesType, "groupofuniquenames": GroupOfUniqueNamesType,
                   "posixgroup": PosixGroupType, "activedirectory": NestedActiveDirectoryGroupType}
    group_type = env.get("LDAP_GROUP_TYPE", "groupOfNames").lower()
    if group_type not in group_types:
        raise ImproperlyConfigured(f"LDAP_GROUP_TYPE: one of {', '.join(sorted(group_types))}")
    # Only members of a mapped group get in; the rest are refused before an account is made.
    required = LDAPGroupQuery(role_map[0][0])
    for dn, _role in role_map[1:]:
        required = required | LDAPGroupQuery(dn)
    return {
        "LDAP_SERVER_URI": env["LDAP_SERVER_URI"].strip(),
        "LDAP_ROLE_MAP": role_map,
        "AUTH_LDAP_SERVER_URI": env["LDAP_SERVER_URI"].strip(),
        "AUTH_LDAP_BIND_DN": env.get("LDAP_BIND_DN", ""),
        "AUTH_LDAP_BIND_PASSWORD": env.get("LDAP_BIND_PASSWORD", ""),
        "AUTH_LDAP_START_TLS": _flag(env, "LDAP_START_TLS"),
        "AUTH_LDAP_USER_SEARCH": LDAPSearch(env.get("LDAP_USER_SEARCH_BASE", ""), ldap.SCOPE_SUBTREE,
                                            env.get("LDAP_USER_FILTER", "(uid=%(user)s)")),
        "AUTH_LDAP_GROUP_SEARCH": LDAPSearch(env.get("LDAP_GROUP_SEARCH_BASE", ""), ldap.SCOPE_SUBTREE,
                                             env.get("LDAP_GROUP_FILTER", "(objectClass=*)")),
        "AUTH_LDAP_GROUP_TYPE": group_types[group_type](),
        "AUTH_LDAP_REQUIRE_GROUP": required,
        "AUTH_LDAP_USER_ATTR_MAP": {"name": env.get("LDAP_ATTR_NAME", "cn"),
                                    "email": env.get("LDAP_ATTR_EMAIL", "mail")},
        "AUTH_LDAP_ALWAYS_UPDATE_USER": True,
        "AUTH_LDAP_CACHE_TIMEOUT": 0,  # a group change counts at the next sign-in
        "AUTH_LDAP_CONNECTION_OPTIONS": {ldap.OPT_REFERRALS: 0, ldap.OPT_NETWORK_TIMEOUT: 10},
    }
