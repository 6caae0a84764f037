"""Fixtures of the release tests. Changes are made with the ORM on the changes app's model (its
services belong to another helper); releases go through releases.services, the real write path."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connections

from accounts.choices import Role
from changes.models import Change, FreezeWindow, MaintenanceWindow
from releases.services import deployment_record, release_create, release_transition
from tests.e2e.conftest import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from tests.factories import UserFactory
from tickets.numbering import next_number

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def release_manager(db):
    return UserFactory(username="rel_manager", role=Role.MANAGER)


@pytest.fixture
def deployer(db):
    return UserFactory(username="rel_engineer", role=Role.ENGINEER)


@pytest.fixture
def make_change(operator, now):
    def make(*, organization: Any, status: str = "scheduled", start: datetime | None = None,
             end: datetime | None = None, cis: Any = (), type: str = "normal", title: str = "Upgrade firmware",
             **kwargs: Any) -> Change:
        start = start or now + timedelta(days=2)
        end = end or start + timedelta(hours=2)
        change = Change.objects.create(
            number=next_number(Change.NUMBER_PREFIX), title=title, organization=organization, status=status,
            type=type, planned_start=start, planned_end=end, reported_at=now, created_by=operator, **kwargs)
        if cis:
            change.cis.set(cis)
        return change

    return make


@pytest.fixture
def make_release(release_manager, now):
    def make(*, organization: Any, changes: Any = (), start: datetime | None = None, hours: int = 4,
             title: str = "Video platform 2.4", release_version: str = "2.4.0", status: str = "planning",
             deployer: Any = None) -> Any:
        start = start or now + timedelta(days=2)
        release = release_create(actor=release_manager, organization=organization, title=title,
                                 release_version=release_version, planned_start=start,
                                 planned_end=start + timedelta(hours=hours), changes=changes, now=now)
        path = {
            "planning": [], "scheduled": ["schedule"], "deploying": ["schedule", "start"],
            "deployed": ["schedule", "start", "deploy", "complete"],
            "verified": ["schedule", "start", "deploy", "complete", "verify"],
            "closed": ["schedule", "start", "deploy", "complete", "verify", "close"],
            "rolled_back": ["schedule", "start", "roll_back"], "cancelled": ["cancel"],
        }[status]
        payload = {"reason": "test", "verification_notes": "smoke tests green", "rollback_notes": "camera list broke"}
        for action in path:
            if action == "deploy":
                deployment_record(release_id=release.pk, actor=release_manager, environment="production",
                                  started_at=now - timedelta(hours=1), finished_at=now, result="success",
                                  deployed_by=deployer, now=now)
                continue
            release = release_transition(release_id=release.pk, actor=release_manager, action=action,
                                         payload=payload, now=now)
        release.refresh_from_db()
        return release

    return make


@pytest.fixture
def freeze(db):
    def make(*, name: str = "Spring Festival", start: datetime, end: datetime, organization: Any = None,
             blocking: bool = True) -> FreezeWindow:
        return FreezeWindow.objects.create(name=name, start=start, end=end, organization=organization,
                                           blocking=blocking)

    return make


@pytest.fixture
def maintenance(db):
    def make(**kwargs: Any) -> MaintenanceWindow:
        return MaintenanceWindow.objects.create(**kwargs)

    return make



@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def run_with_browser() -> Callable[[Callable[[Any], Any]], Any]:
    """A browser journey in the system Chromium, in a thread of its own (as tests/portal does)."""
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
