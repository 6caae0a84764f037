"""Single sign-on with OpenID Connect: the identity provider is mocked at the HTTP boundary (responses);
the project's real views, mozilla-django-oidc's token check and the role mapping run."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
import responses

from accounts.choices import AuthSource, Role
from accounts.models import User
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

IDP = "https://idp.example.org"
SECRET = "client-secret-0123456789-abcdefghijklmnopqrstuv"


@pytest.fixture
def oidc_on(settings):
    settings.OIDC_ENABLED = True
    settings.OIDC_RP_CLIENT_ID = "opsdesk"
    settings.OIDC_RP_CLIENT_SECRET = SECRET
    settings.OIDC_RP_SIGN_ALGO = "HS256"  # signed with the client secret: no JWKS needed in the mock
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{IDP}/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{IDP}/token"
    settings.OIDC_OP_USER_ENDPOINT = f"{IDP}/userinfo"
    settings.OIDC_RP_SCOPES = "openid email profile"
    settings.OIDC_USERNAME_CLAIM = "preferred_username"
    settings.OIDC_GROUPS_CLAIM = "groups"
    settings.OIDC_ROLE_MAP = [("ops-managers", "manager"), ("ops-engineers", "engineer")]
    settings.LOGIN_REDIRECT_URL_FAILURE = "/login/"
    settings.AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "accounts.oidc.OIDCBackend",
                                        "accounts.backends.ModelBackend"]


def _sign_in(client, userinfo: dict):
    start = client.get("/oidc/authenticate/")
    assert start.status_code == 302 and start["Location"].startswith(f"{IDP}/authorize?")
    query = parse_qs(urlparse(start["Location"]).query)
    state, nonce = query["state"][0], query["nonce"][0]
    id_token = jwt.encode({"iss": IDP, "aud": "opsdesk", "sub": userinfo["sub"], "nonce": nonce,
                           "iat": int(time.time()), "exp": int(time.time()) + 300}, SECRET, algorithm="HS256")
    with responses.RequestsMock() as idp:
        idp.post(f"{IDP}/token", json={"id_token": id_token, "access_token": "at-1", "token_type": "Bearer"})
        idp.get(f"{IDP}/userinfo", json=userinfo)
        return client.get("/oidc/callback/", {"code": "code-1", "state": state})


def test_single_sign_on_maps_groups_to_the_role(client, oidc_on):
    assert "single sign-on" in client.get("/login/").content.decode()
    response = _sign_in(client, {"sub": "u1", "preferred_username": "zhang.san", "email": "zs@example.org",
                                 "name": "Zhang San", "groups": ["staff", "ops-engineers"]})
    assert response.status_code == 302 and response["Location"] == "/"
    user = User.objects.get(username="zhang.san")
    assert (user.role, user.auth_source, user.name) == (Role.ENGINEER, AuthSource.OIDC, "Zhang San")
    assert not user.has_usable_password()
    client.post("/logout/")
    _sign_in(client, {"sub": "u1", "preferred_username": "zhang.san", "groups": ["ops-managers"]})
    user.refresh_from_db()
    assert user.role == Role.MANAGER


def test_unmapped_groups_and_local_accounts_are_refused(client, oidc_on, org_a):
    response = _sign_in(client, {"sub": "u2", "preferred_username": "guest", "groups": ["visitors"]})
    assert response["Location"] == "/login/" and not User.objects.filter(username="guest").exists()
    customer = CustomerFactory(username="cust.sso", organization=org_a)
    response = _sign_in(client, {"sub": "u3", "preferred_username": "cust.sso", "groups": ["ops-managers"]})
    assert response["Location"] == "/login/" and "_auth_user_id" not in client.session
    customer.refresh_from_db()
    assert (customer.role, customer.auth_source) == (Role.CUSTOMER, AuthSource.LOCAL)


def test_single_sign_on_is_off_unless_configured(client):
    assert client.get("/oidc/authenticate/").status_code == 404
    assert "single sign-on" not in client.get("/login/").content.decode()
