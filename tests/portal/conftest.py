from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

from tests.e2e.conftest import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from tests.factories import ContactFactory


@pytest.fixture
def contact_user_a(org_a, customer_a):
    """Customer A's own contact record (portal user linked), with an email address."""
    return ContactFactory(organization=org_a, name="Portal Contact A", phone="13900002222",
                          email="contact-a@example.com", user=customer_a)


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def run_with_browser() -> Callable[[Callable[[Any], Any]], Any]:
    """Run a browser journey with the system Chromium in a thread of its own. The e2e journeys'
    session-wide Playwright (tests/e2e/conftest.py) may already hold this thread's event loop, and
    the sync API allows one instance per thread; the journey's ORM calls work from the thread too
    (transactional tests commit, and the thread closes its connections)."""
    if not Path(CHROMIUM).exists():
        pytest.skip("system Chromium not installed at /usr/bin/chromium")

    def run(journey: Callable[[Any], Any]) -> Any:
        def in_thread() -> Any:
            from playwright.sync_api import sync_playwright

            try:
                with sync_playwright() as playwright:
                    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                    try:
                        return journey(browser)
                    finally:
                        browser.close()
                        # Inside the Playwright block: its greenlet has the journey's connection.
                        connections.close_all()
            finally:
                connections.close_all()

        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(in_thread).result()

    return run
