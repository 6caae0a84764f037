"""Issue #12: every page of every role, in a Chinese browser, at 375 px and 1366 px.

The demo data is seeded once; for each role the server-side crawl of tests/i18n (argument-free pages
plus the links found on them, one page per URL pattern, so one detail page per object type) lists the
pages, and the system Chromium then visits each of them signed in as that role. Every page must
answer < 400, must not scroll sideways at either width (wide tables scroll inside their own
`.table-wrap`) and its visible text (after scripts ran) must hold no English outside data.

One browser, one context per role; each page is loaded once and checked at both widths by resizing
the viewport (a resize re-runs the media queries and re-lays the page out, as a reload would).
A handful of key pages per role are photographed at 375 px into test-artifacts/walk/.
"""

from __future__ import annotations

import os
import re
import time
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import User
from incidents.management.seed_data import DEMO_PASSWORD
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.i18n.crawl import crawl, data_words, english_runs

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1366, "height": 768}
# One login per role that has pages (seed_demo's demo accounts); the customer works in the portal.
ROLES = ["operator", "dispatcher", "engineer1", "supervisor", "lead", "manager", "analyst", "docadmin",
         "hospital-1-user"]
if os.environ.get("WALK_ROLES"):  # e.g. WALK_ROLES=manager,hospital-1-user while fixing one role's pages
    ROLES = os.environ["WALK_ROLES"].split(",")
# Pages photographed at 375 px when the role reaches them (plus its first incident and change page).
KEY_PAGES = ("/", "/incidents/", "/hotline/", "/changes/", "/spares/", "/reports/", "/portal/", "/portal/report/")
# README_SHOTS=1 also refreshes the README's screenshots from this demo data: (role, page, width) → file.
README_SHOTS = {("dispatcher", "/", 1366): "dispatch-queue-1366.png",
                ("hospital-1-user", "/portal/incidents/<id>/", 375): "portal-incident-375.png"}
DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
KEY_DETAIL = re.compile(r"^/(portal/)?(incidents|changes)/\d+/$")

# Plain expressions only (the CSP forbids eval, so no wait_for_function).
OVERFLOW = "document.documentElement.scrollWidth <= window.innerWidth + 1"
# Content that reaches past the right edge of the window outside a sideways-scrolling container: it
# either widens the page or is cut off by an `overflow: hidden` card (which scrollWidth cannot see).
CUT_OFF = """(() => {
  const edge = window.innerWidth + 1, out = [];
  const scrollsOrEllipsis = (el) => { for (let a = el; a && a !== document.body; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (s.overflowX === 'auto' || s.overflowX === 'scroll' || s.textOverflow === 'ellipsis') return true; }
    return false; };
  const name = (el) => el.tagName.toLowerCase() + (typeof el.className === 'string' && el.className.trim()
    ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (out.length < 3 && r.width > 1 && r.height > 1 && r.right > edge && !scrollsOrEllipsis(el.parentElement))
      out.push(name(el) + ' right=' + Math.round(r.right));
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT), range = document.createRange();
  for (let n = walker.nextNode(); n && out.length < 3; n = walker.nextNode()) {
    if (!n.textContent.trim() || !n.parentElement) continue;
    range.selectNodeContents(n);
    const r = range.getBoundingClientRect();
    if (r.width > 1 && r.height > 1 && r.right > edge && !scrollsOrEllipsis(n.parentElement))
      out.push(name(n.parentElement) + ' "' + n.textContent.trim().slice(0, 30) + '" right=' + Math.round(r.right));
  }
  return out;
})()"""
# On a phone a table row is a card whose cells are two-column grids (label | value); a cell with
# several items (two badges, "PDF · Excel") lets the later ones fall into the label column.
STRAY_IN_LABEL = """[...document.querySelectorAll('.table-cards td[data-label]')].filter(td => {
  const s = getComputedStyle(td), label = getComputedStyle(td, '::before');
  if (label.display === 'none' || label.content === 'none' || s.display === 'table-cell') return false;
  const cols = s.display === 'grid' ? s.gridTemplateColumns.split(' ') : ['0'];
  const valueLeft = td.getBoundingClientRect().left + parseFloat(s.paddingLeft) + parseFloat(cols[0]);
  return [...td.childNodes].some(n => {
    if (n.nodeType === 3 && !n.textContent.trim()) return false;
    const range = document.createRange(); range.selectNodeContents(n);
    const r = n.nodeType === 1 ? n.getBoundingClientRect() : range.getBoundingClientRect();
    return r.width > 0 && r.left < valueLeft - 1;
  });
}).slice(0, 3).map(td => td.dataset.label + ': ' + td.innerText.trim().slice(0, 30))"""
VISIBLE_TEXT = """[document.body.innerText].concat(
  [...document.querySelectorAll('[placeholder], [title], [aria-label], img[alt]')]
    .filter(e => e.getClientRects().length)
    .map(e => [e.getAttribute('placeholder'), e.getAttribute('title'), e.getAttribute('aria-label'),
               e.getAttribute('alt')].filter(Boolean).join('\\n'))
).join('\\n')"""
# innerText keeps <pre>/<code> (JSON examples, API samples): data, as the server crawl treats them.
CODE_TEXT = "[...document.querySelectorAll('pre, code, kbd, textarea')].map(e => e.innerText).join('\\n')"


def _slug(url: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", url.lower()).strip("-") or "home"


def _sign_in(browser: Any, base_url: str, username: str) -> Any:
    context = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  extra_http_headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    context.set_default_timeout(15_000)
    # Images and web fonts do not change the layout's width checks; leave them out to stay fast.
    context.route(re.compile(r"\.(png|jpe?g|gif|webp|woff2?|ttf)(\?.*)?$"), lambda route: route.abort())
    page = context.new_page()
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "/login/" not in page.url, (username, page.url)
    return page


# Everything one width needs, in one round trip to the page.
MEASURE = f"""({{fits: {OVERFLOW}, width: document.documentElement.scrollWidth, text: {VISIBLE_TEXT},
  code: {CODE_TEXT}, cut: {CUT_OFF}, stray: {STRAY_IN_LABEL}}})"""


def _check(page: Any, *, allowed: set[str], where: str, problems: list[str]) -> None:
    m = page.evaluate(MEASURE)
    if not m["fits"]:  # the elements reaching past the edge name the culprit
        problems.append(f"{where}: scrolls sideways ({m['width']} px) {m['cut']}")
    elif m["cut"]:
        problems.append(f"{where}: cut off at the right edge {m['cut']}")
    if m["stray"]:
        problems.append(f"{where}: card cell spills into its label column {m['stray']}")
    code = set(m["code"].split("\n"))
    runs = english_runs("\n".join(line for line in m["text"].split("\n") if line not in code), allowed)
    if runs:
        problems.append(f"{where}: English {sorted(set(runs))}")


def _readme_shot(page: Any, username: str, url: str, width: int, done: set[str]) -> None:
    name = README_SHOTS.get((username, re.sub(r"/\d+/$", "/<id>/", url), width))
    if name and name not in done:
        done.add(name)
        page.screenshot(path=str(DOCS_IMAGES / name), full_page=width < 1000)


def test_every_page_of_every_role_at_375_and_1366(browser: Any, live_server: Any, artifacts: Path, settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    started = time.monotonic()
    # The browser's own UI in Chinese too (a file input's "选择文件"), as a Chinese user's browser shows it.
    browser = browser.browser_type.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, "--lang=zh-CN"],
                                          env={**os.environ, "LANGUAGE": "zh_CN", "LANG": "zh_CN.UTF-8"})
    call_command("seed_demo", "--incidents", "120", stdout=StringIO())
    allowed = data_words()
    seeded = time.monotonic() - started
    crawling = 0.0
    shots = artifacts / "walk"
    shots.mkdir(exist_ok=True)
    problems: list[str] = []
    visited = 0
    readme_done: set[str] = set()
    for username in ROLES:
        client = Client(raise_request_exception=False)
        client.force_login(User.objects.get(username=username))
        urls: list[str] = []
        mark = time.monotonic()
        _found, bad = crawl(client, allowed=allowed, max_pages=200, per_route=1, pages=urls)
        problems += [f"{username} {url}: HTTP {status} (server crawl)" for url, status in bad.items()]
        assert urls, username
        crawling += time.monotonic() - mark
        page = _sign_in(browser, live_server.url, username)
        shot_kinds: set[str] = set()
        sizes = (PHONE, DESKTOP)
        for url in urls:
            response = page.goto(live_server.url + url, wait_until="load")
            visited += 1
            if response is None or response.status >= 400:
                problems.append(f"{username} {url}: HTTP {response.status if response else '-'}")
                continue
            for size in sizes:
                page.set_viewport_size(size)
                _check(page, allowed=allowed, where=f"{username} {size['width']} {url}", problems=problems)
                if os.environ.get("README_SHOTS"):
                    _readme_shot(page, username, url, size["width"], readme_done)
                detail = KEY_DETAIL.match(url)
                if size == PHONE and (url in KEY_PAGES or (detail and detail.group(2) not in shot_kinds)):
                    shot_kinds.add(detail.group(2) if detail else url)
                    page.screenshot(path=str(shots / f"{username}-{_slug(url)}-375.png"), full_page=True)
            sizes = sizes[::-1]  # the next page starts at the width this one ended with
        page.context.close()
    browser.close()
    elapsed = time.monotonic() - started
    print(f"role walk: {visited} pages × 2 widths, {len(ROLES)} roles, {elapsed:.0f} s "
          f"(seed {seeded:.0f} s, server crawl {crawling:.0f} s, browser {elapsed - seeded - crawling:.0f} s)")
    assert not problems, "\n".join(problems)
