"""Two-factor sign-in (django-otp TOTP): required for managers and superusers, optional for other staff,
recovery codes, the API's session vs token, and django-axes' lockout over the code step."""

from __future__ import annotations

import re

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from accounts.choices import Role
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _enforced(settings):
    settings.OTP_ENFORCED = True
    settings.OTP_TOTP_THROTTLE_FACTOR = settings.OTP_STATIC_THROTTLE_FACTOR = 0  # django-otp back-off (axes: below)


def _code(device: TOTPDevice, drift: int = 0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=drift):06d}"


def _sign_in(client, username: str):
    return client.post("/login/", {"username": username, "password": PASSWORD})


def _enrol(client) -> tuple[TOTPDevice, list[str]]:
    page = client.get("/accounts/2fa/enrol/")
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=page.wsgi_request.user, confirmed=False)
    response = client.post("/accounts/2fa/enrol/", {"code": _code(device), "next": "/"})
    assert response.status_code == 200
    codes = re.findall(r"<code>(\d{4}-\d{4})</code>", response.content.decode())
    device.refresh_from_db()
    return device, codes


def test_manager_without_a_device_reaches_only_the_enrolment_page(client):
    UserFactory(username="pm", role=Role.MANAGER)
    assert _sign_in(client, "pm")["Location"] == "/"
    for path in ("/", "/incidents/", "/reports/", "/admin/", "/accounts/2fa/verify/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/2fa/enrol/"), path
    assert client.get("/api/v1/incidents/").status_code == 403  # the session-authenticated API too
    page = client.get("/accounts/2fa/enrol/?next=/incidents/")
    body = page.content.decode()
    assert page.status_code == 200 and "<svg" in body and "http" not in body.split("<svg", 1)[1].split("</svg>")[0]
    device = TOTPDevice.objects.get(user__username="pm", confirmed=False)
    assert device.config_url.startswith("otpauth://totp/")
    key = re.search(r'class="otp-key">([A-Z2-7 ]+)<', body).group(1).replace(" ", "")
    import base64
    assert base64.b32decode(key) == device.bin_key  # the key to type by hand is the device's


def test_wrong_code_refused_correct_code_lets_in_and_recovery_codes_are_shown_once(client):
    UserFactory(username="pm", role=Role.MANAGER)
    _sign_in(client, "pm")
    client.get("/accounts/2fa/enrol/")
    device = TOTPDevice.objects.get(user__username="pm")
    wrong = f"{(int(_code(device)) + 1) % 1_000_000:06d}"
    assert client.post("/accounts/2fa/enrol/", {"code": wrong}).status_code == 400
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get("/incidents/").status_code == 302

    device, codes = _enrol(client)
    assert device.confirmed and len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/incidents/").status_code == 200
    assert client.get("/api/v1/incidents/").status_code == 200
    settings_page = client.get("/accounts/2fa/").content.decode()
    assert not any(c in settings_page for c in codes)  # shown once, never again

    # The next sign-in asks for a code: a wrong one is refused, the current one lets in.
    client.post("/logout/")
    assert _sign_in(client, "pm")["Location"] == "/"
    response = client.get("/reports/")
    assert response["Location"].startswith("/accounts/2fa/verify/")
    assert client.post("/accounts/2fa/verify/", {"code": "000000", "next": "/reports/"}).status_code == 400
    assert client.get("/reports/").status_code == 302
    response = client.post("/accounts/2fa/verify/", {"code": _code(device, drift=1), "next": "/reports/"})
    assert response.status_code == 302 and response["Location"] == "/reports/"
    assert client.get("/reports/").status_code == 200

    # A recovery code signs in once.
    client.post("/logout/")
    _sign_in(client, "pm")
    assert client.post("/accounts/2fa/verify/", {"code": codes[0]}).status_code == 302
    assert client.get("/reports/").status_code == 200
    client.post("/logout/")
    _sign_in(client, "pm")
    assert client.post("/accounts/2fa/verify/", {"code": codes[0]}).status_code == 400
    assert StaticToken.objects.filter(device__user__username="pm").count() == 9


def test_superuser_needs_a_device_other_staff_may_choose(client):
    UserFactory(username="root", role=Role.ENGINEER, is_superuser=True, is_staff=True)
    _sign_in(client, "root")
    assert client.get("/admin/")["Location"].startswith("/accounts/2fa/enrol/")
    client.post("/logout/")

    eng = UserFactory(username="eng", role=Role.ENGINEER)
    _sign_in(client, "eng")
    assert client.get("/incidents/").status_code == 200  # optional: not asked
    device, codes = _enrol(client)
    client.post("/logout/")
    _sign_in(client, "eng")
    assert client.get("/incidents/")["Location"].startswith("/accounts/2fa/verify/")  # enrolled: asked
    client.post("/accounts/2fa/verify/", {"code": _code(device, drift=1)})
    # Turning it off needs a current code; then sign-ins no longer ask.
    assert client.post("/accounts/2fa/", {"action": "remove", "code": "000000"}).status_code == 302
    assert TOTPDevice.objects.filter(user=eng).exists()
    client.post("/accounts/2fa/", {"action": "remove", "code": codes[0]})  # (a TOTP code works only once)
    assert not TOTPDevice.objects.filter(user=eng).exists()
    client.post("/logout/")
    _sign_in(client, "eng")
    assert client.get("/incidents/").status_code == 200


def test_api_token_authentication_is_unchanged(client):
    pm = UserFactory(username="pm", role=Role.MANAGER)
    token = Token.objects.create(user=pm)
    response = client.get("/api/v1/incidents/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200


def test_axes_lockout_still_applies(client, settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    UserFactory(username="pm", role=Role.MANAGER)
    _sign_in(client, "pm")
    device, _codes = _enrol(client)
    client.post("/logout/")
    _sign_in(client, "pm")
    client.post("/accounts/2fa/verify/", {"code": "000000"})
    client.post("/accounts/2fa/verify/", {"code": "111111"})
    locked = client.post("/accounts/2fa/verify/", {"code": "222222"})
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session  # signed out
    # Now even the right password and code are refused for the cool-off.
    assert _sign_in(client, "pm").status_code == 429
    # Wrong passwords lock out as before.
    UserFactory(username="pm2", role=Role.MANAGER)
    for _i in range(3):
        client.post("/login/", {"username": "pm2", "password": "wrong-password"})
    assert _sign_in(client, "pm2").status_code == 429
