"""The top navigation stays one row at 1366 px in both languages (the rest sits under "More"), no
page asks for a favicon that is not there, and the 404 page looks like the product."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.choices import Role
from tests.e2e.test_journey import DESKTOP, PHONE, shot
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def login(browser: Any, base_url: str, username: str, *, locale: str, viewport: dict[str, int]) -> Any:
    context = browser.new_context(viewport=viewport, locale=locale, timezone_id="Asia/Shanghai",
                                  extra_http_headers={"Accept-Language": locale})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


NAV_ROWS = """() => {
  const items = [...document.querySelectorAll('.mainnav > a, .mainnav > details > summary')];
  return new Set(items.map(el => Math.round(el.getBoundingClientRect().top))).size;
}"""


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_navigation_is_one_row_at_1366(browser, live_server, artifacts, transactional_db, locale):
    UserFactory(username="boss", role=Role.MANAGER, is_superuser=True, is_staff=True)
    page = login(browser, live_server.url, "boss", locale=locale, viewport=DESKTOP)
    missing: list[str] = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    for path in ("/incidents/", "/changes/", "/spares/"):
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        assert page.evaluate(NAV_ROWS) == 1, path
        topbar = page.locator(".topbar").bounding_box()
        assert topbar and topbar["height"] < 70, (path, topbar)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
    shot(page, artifacts, f"nav-1366-{locale}")
    # Everything else is one click away under "More".
    page.click(".navmore summary")
    page.click(".navmore-panel a[href='/spares/']")
    page.wait_for_url("**/spares/")
    assert page.locator(".navmore:has(a[aria-current=page])").count() == 1
    assert not [url for url in missing if "favicon" in url], missing
    page.goto(live_server.url + "/no-such-page/")
    assert page.locator("h1").inner_text() in ("页面不存在", "Page not found")
    shot(page, artifacts, f"error-404-1366-{locale}")
    page.context.close()


def test_phone_menu_and_404_in_chinese(browser, live_server, artifacts, transactional_db):
    UserFactory(username="boss", role=Role.MANAGER)
    page = login(browser, live_server.url, "boss", locale="zh-CN", viewport=PHONE)
    page.goto(live_server.url + "/no-such-page/")
    assert page.locator("h1").inner_text() == "页面不存在"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(page, artifacts, "error-404-375-zh")
    page.click(".nav-toggle-label")
    page.click(".navmore summary")
    assert page.locator(".navmore-panel a[href='/spares/']").is_visible()
    shot(page, artifacts, "nav-375-zh-open")
    page.context.close()
