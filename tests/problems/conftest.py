from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

from accounts.choices import Role
from problems.models import Problem
from problems.services import problem_create
from tests.e2e.conftest import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from tests.factories import UserFactory


@pytest.fixture
def analyst(db):
    return UserFactory(username="analyst", role=Role.ANALYST)


@pytest.fixture
def make_problem(analyst, now):
    """Create a problem through the real service."""

    def make(*, organization: Any, actor: Any = None, **kwargs: Any) -> Problem:
        kwargs.setdefault("title", "Core switch port flapping")
        return problem_create(actor=actor or analyst, organization=organization, now=now, **kwargs)

    return make


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def run_with_browser() -> Callable[[Callable[[Any], Any]], Any]:
    """Run a browser journey with the system Chromium in a thread of its own (as tests/portal does:
    a session-wide Playwright of tests/e2e may hold this thread's event loop)."""
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
                        connections.close_all()
            finally:
                connections.close_all()

        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(in_thread).result()

    return run
