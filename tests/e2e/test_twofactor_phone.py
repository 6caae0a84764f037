"""Two-factor pages in Chinese on a 375 px phone: a manager signs in, enrols with the key shown on the
page (the code computed from it), sees the recovery codes; nothing scrolls sideways."""

from __future__ import annotations

import base64

import pytest
from django_otp.oath import totp

from accounts.choices import Role
from tests.e2e.test_journey import PHONE, shot
from tests.e2e.test_layout_1366 import login
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

FITS = "document.documentElement.scrollWidth <= window.innerWidth"


def test_manager_enrols_on_a_phone_in_chinese(browser, live_server, artifacts, settings, transactional_db):
    settings.OTP_ENFORCED = True
    UserFactory(username="pm_phone_2fa", name="周军", role=Role.MANAGER)
    page = login(browser, live_server.url, "pm_phone_2fa", locale="zh-CN", viewport=PHONE)
    assert "/accounts/2fa/enrol/" in page.url
    assert page.locator("svg.qr").is_visible()
    assert page.evaluate(FITS)
    shot(page, artifacts, "2fa-enrol-375-zh")
    key = page.locator(".otp-key").inner_text().replace(" ", "")
    code = totp(base64.b32decode(key))
    page.fill("#id_code", f"{code:06d}")
    page.click("button[type=submit].btn-primary")
    page.wait_for_load_state()
    assert page.locator(".recovery-codes li").count() == 10
    assert page.evaluate(FITS)
    shot(page, artifacts, "2fa-codes-375-zh")
    page.click("a.btn-primary")
    page.wait_for_load_state()
    page.goto(live_server.url + "/accounts/2fa/")
    assert page.evaluate(FITS)
    shot(page, artifacts, "2fa-settings-375-zh")
    page.context.close()
