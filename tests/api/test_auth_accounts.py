from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.choices import Role
from tests.factories import PASSWORD, CIClassFactory, CIFactory, ContactFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_token_login_then_token_auth(engineer, settings):
    settings.AXES_ENABLED = True  # the endpoint must work with django-axes on
    client = APIClient()
    res = client.post("/api/v1/auth/token/", {"username": "engineer", "password": PASSWORD}, format="json")
    assert res.status_code == 200, res.content
    token = res.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = client.get("/api/v1/users/me/")
    assert me.status_code == 200
    assert me.json()["username"] == "engineer"


def test_token_login_wrong_password_is_400_with_detail(engineer, settings):
    settings.AXES_ENABLED = True
    res = APIClient().post("/api/v1/auth/token/", {"username": "engineer", "password": "nope"}, format="json")
    assert res.status_code == 400
    assert "detail" in res.json()


def test_token_login_missing_fields_are_field_errors(db):
    res = APIClient().post("/api/v1/auth/token/", {}, format="json")
    assert res.status_code == 400
    assert set(res.json()) == {"username", "password"}


def test_token_login_is_throttled(engineer, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                                                          "token": "3/min"}}
    from rest_framework.throttling import ScopedRateThrottle

    rates = dict(ScopedRateThrottle.THROTTLE_RATES)
    ScopedRateThrottle.THROTTLE_RATES = {**rates, "token": "3/min"}
    try:
        client = APIClient()
        codes = [client.post("/api/v1/auth/token/", {"username": "engineer", "password": "x"}, format="json").status_code
                 for _ in range(5)]
    finally:
        ScopedRateThrottle.THROTTLE_RATES = rates
    assert codes[:3] == [400, 400, 400]
    assert codes[3:] == [429, 429]


def test_unauthenticated_is_401(db):
    assert APIClient().get("/api/v1/incidents/").status_code == 401


def test_users_me_and_customer_sees_only_own_org(api_as, customer_a, customer_b, engineer):
    client = api_as(customer_a)
    res = client.get("/api/v1/users/")
    assert res.status_code == 200
    assert [u["username"] for u in res.json()["results"]] == ["cust_a"]
    assert client.get(f"/api/v1/users/{customer_b.pk}/").status_code == 404
    assert client.get(f"/api/v1/users/{engineer.pk}/").status_code == 404


def test_only_admins_create_users_and_password_policy_applies(api_as, manager, engineer, org_a):
    payload = {"username": "newbie", "password": "123", "role": "customer", "organization": org_a.pk}
    assert api_as(engineer).post("/api/v1/users/", payload, format="json").status_code == 403
    res = api_as(manager).post("/api/v1/users/", payload, format="json")
    assert res.status_code == 400
    assert "password" in res.json()
    payload["password"] = "Long-enough-2026!"
    res = api_as(manager).post("/api/v1/users/", payload, format="json")
    assert res.status_code == 201, res.content
    body = res.json()
    assert body["role"] == "customer" and body["organization"] == org_a.pk
    assert "password" not in body
    res = api_as(manager).post("/api/v1/users/", {"username": "c2", "password": "Long-enough-2026!",
                                                  "role": "customer"}, format="json")
    assert res.status_code == 400 and "organization" in res.json()


def test_admin_updates_user(api_as, manager, engineer):
    res = api_as(manager).patch(f"/api/v1/users/{engineer.pk}/", {"role": "analyst", "phone": "123"}, format="json")
    assert res.status_code == 200
    assert res.json()["role"] == "analyst"
    assert api_as(engineer).patch(f"/api/v1/users/{engineer.pk}/", {"role": "manager"}, format="json").status_code == 403
    assert api_as(manager).patch("/api/v1/users/abc/", {"role": "manager"}, format="json").status_code == 404


def test_organizations_scoped(api_as, customer_a, org_a, org_b, engineer, manager):
    assert [o["code"] for o in api_as(customer_a).get("/api/v1/organizations/").json()["results"]] == ["org-a"]
    assert api_as(customer_a).get(f"/api/v1/organizations/{org_b.pk}/").status_code == 404
    assert len(api_as(engineer).get("/api/v1/organizations/").json()["results"]) == 2
    res = api_as(manager).post("/api/v1/organizations/", {"name": "New", "code": "new-co"}, format="json")
    assert res.status_code == 201
    assert api_as(manager).post("/api/v1/organizations/", {"name": "Dup", "code": "new-co"},
                                format="json").status_code == 400
    assert api_as(engineer).post("/api/v1/organizations/", {"name": "X", "code": "x"}, format="json").status_code == 403


def test_contacts_phone_lookup_q_and_scope(api_as, operator, customer_a, org_a, org_b):
    a = ContactFactory(organization=org_a, name="Li Na", phone="13900001111")
    ContactFactory(organization=org_b, name="Wang Fang", phone="13900002222")
    res = api_as(operator).get("/api/v1/contacts/", {"phone": "139-0000-1111"})
    assert [c["id"] for c in res.json()["results"]] == [a.pk]
    assert [c["name"] for c in api_as(operator).get("/api/v1/contacts/", {"q": "wang"}).json()["results"]] == ["Wang Fang"]
    assert len(api_as(operator).get("/api/v1/contacts/", {"organization": org_b.pk}).json()["results"]) == 1
    assert [c["name"] for c in api_as(customer_a).get("/api/v1/contacts/").json()["results"]] == ["Li Na"]
    assert api_as(operator).get("/api/v1/contacts/", {"organization": "x"}).status_code == 400
    res = api_as(operator).post("/api/v1/contacts/", {"organization": org_a.pk, "name": "New", "phone": "1"},
                                format="json")
    assert res.status_code == 201
    assert api_as(customer_a).post("/api/v1/contacts/", {"organization": org_a.pk, "name": "N", "phone": "2"},
                                   format="json").status_code == 403


def test_cis_filters_and_scope(api_as, engineer, customer_a, org_a, org_b):
    cam = CIClassFactory(code="camera", name="Camera")
    CIFactory(organization=org_a, name="cam-1", ci_class=cam, status="in_use")
    CIFactory(organization=org_a, name="srv-1", status="retired")
    CIFactory(organization=org_b, name="cam-b", ci_class=cam)
    names = lambda res: sorted(c["name"] for c in res.json()["results"])  # noqa: E731
    assert names(api_as(engineer).get("/api/v1/cis/", {"ci_class": "camera"})) == ["cam-1", "cam-b"]
    assert names(api_as(engineer).get("/api/v1/cis/", {"status": "retired"})) == ["srv-1"]
    assert names(api_as(engineer).get("/api/v1/cis/", {"q": "srv"})) == ["srv-1"]
    assert names(api_as(engineer).get("/api/v1/cis/", {"organization": org_b.pk})) == ["cam-b"]
    assert names(api_as(customer_a).get("/api/v1/cis/")) == ["cam-1", "srv-1"]
    row = api_as(engineer).get("/api/v1/cis/", {"q": "cam-1"}).json()["results"][0]
    assert row["ci_class"] == "camera"
    bad = api_as(engineer).get("/api/v1/cis/", {"ci_class": "nope", "status": "bogus"})
    assert bad.status_code == 400 and set(bad.json()) == {"ci_class", "status"}


def test_role_field_is_validated(api_as, manager):
    res = api_as(manager).post("/api/v1/users/", {"username": "x", "password": "Long-enough-2026!", "role": "king"},
                               format="json")
    assert res.status_code == 400 and "role" in res.json()


def test_engineer_cannot_write_users(api_as, engineer):
    other = UserFactory(role=Role.OPERATOR)
    assert api_as(engineer).patch(f"/api/v1/users/{other.pk}/", {"name": "x"}, format="json").status_code == 403


def _locked_out(client, settings, url, payload, **extra):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(2):
        client.post(url, payload, **extra)
    return client.post(url, payload, **extra)


def test_api_lockout_is_json_429_in_the_error_shape(engineer, settings):
    """django-axes' lockout on the token endpoint: the API's JSON 429, not axes' HTML page."""
    res = _locked_out(APIClient(), settings, "/api/v1/auth/token/", {"username": "engineer", "password": "x"},
                      format="json")
    assert res.status_code == 429
    assert res["Content-Type"] == "application/json"
    assert set(res.json()) == {"detail"} and "locked" in res.json()["detail"]
    assert int(res["Retry-After"]) == 15 * 60  # AXES_COOLOFF_TIME
    # even the right password is refused while locked
    res = APIClient().post("/api/v1/auth/token/", {"username": "engineer", "password": PASSWORD}, format="json")
    assert res.status_code == 429 and res.json()["detail"]


def test_web_lockout_is_the_translated_error_page(engineer, settings, client):
    res = _locked_out(client, settings, "/login/", {"username": "engineer", "password": "x"},
                      HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert res.status_code == 429
    assert res["Content-Type"].startswith("text/html")
    assert "15" in res.content.decode() and "Too many" not in res.content.decode()
