from __future__ import annotations

from collections.abc import Iterator

import pytest

from opsdesk.signin_settings import ldap_settings

from . import slapd


@pytest.fixture(scope="session")
def directory(tmp_path_factory) -> Iterator[slapd.Slapd]:
    """A real slapd for the session (Debian's slapd + ldap-utils; scripts/test installs them)."""
    server = slapd.start(tmp_path_factory.mktemp("slapd"))
    yield server
    server.stop()


def directory_env(url: str) -> dict[str, str]:
    return {
        "LDAP_SERVER_URI": url,
        "LDAP_BIND_DN": slapd.BIND_DN,
        "LDAP_BIND_PASSWORD": slapd.BIND_PW,
        "LDAP_USER_SEARCH_BASE": f"ou=people,{slapd.SUFFIX}",
        "LDAP_USER_FILTER": "(uid=%(user)s)",
        "LDAP_GROUP_SEARCH_BASE": f"ou=groups,{slapd.SUFFIX}",
        "LDAP_GROUP_FILTER": "(objectClass=groupOfNames)",
        "LDAP_GROUP_TYPE": "groupOfNames",
        "LDAP_ROLE_MAP": (f"cn=opsdesk-managers,ou=groups,{slapd.SUFFIX}=manager;"
                          f"CN=OpsDesk-Engineers, OU=groups,{slapd.SUFFIX}=engineer;"
                          f"cn=opsdesk-dispatchers,ou=groups,{slapd.SUFFIX}=dispatcher"),
    }


@pytest.fixture
def ldap_on(settings, directory):
    """The settings the environment variables above give (the same function settings.py calls)."""
    for key, value in ldap_settings(directory_env(directory.url)).items():
        setattr(settings, key, value)
    settings.AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "accounts.directory.DirectoryBackend",
                                        "accounts.backends.ModelBackend"]
    return directory
