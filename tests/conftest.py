from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone, translation
from rest_framework.test import APIClient

from accounts.choices import Role
from incidents.models import Incident
from incidents.services import incident_create, incident_transition

from .factories import (
    CIFactory,
    ContactFactory,
    CustomerFactory,
    OrganizationFactory,
    SupportGroupFactory,
    UserFactory,
)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.AXES_ENABLED = False
    # Two-factor sign-in is required of managers and superusers in the product; tests/signin turns it on.
    settings.OTP_ENFORCED = False


@pytest.fixture(autouse=True)
def _sla_config_cache():
    """Each test starts with an empty SLA configuration cache and picker cache: a rolled-back test's policies were
    announced by signals but never committed (tickets.sla_config)."""
    from opsdesk.statements import compiled_clear
    from tickets.forms import PICKERS
    from tickets.sla_config import sla_config_cache_clear

    sla_config_cache_clear()
    PICKERS.clear()  # the same for the work lists' pickers (rolled-back users and groups)
    compiled_clear()  # and compiled statements (opsdesk.statements), so each test compiles its own
    # Each test starts in the site's language: a request through LocaleMiddleware leaves its language
    # active in the thread (tests/i18n then tests/security/test_imports.py failed on Chinese messages).
    translation.deactivate()
    yield
    sla_config_cache_clear()
    PICKERS.clear()


@pytest.fixture
def now() -> datetime:
    return timezone.now()


@pytest.fixture
def org_a():
    return OrganizationFactory(name="Org A", code="org-a")


@pytest.fixture
def org_b():
    return OrganizationFactory(name="Org B", code="org-b")


@pytest.fixture
def operator(db):
    return UserFactory(username="operator", role=Role.OPERATOR)


@pytest.fixture
def dispatcher(db):
    return UserFactory(username="dispatcher", role=Role.DISPATCHER)


@pytest.fixture
def group(db, engineer):
    g = SupportGroupFactory(name="North")
    g.members.add(engineer)
    return g


@pytest.fixture
def engineer(db):
    return UserFactory(username="engineer", role=Role.ENGINEER)


@pytest.fixture
def other_engineer(db):
    return UserFactory(username="engineer2", role=Role.ENGINEER)


@pytest.fixture
def supervisor(db):
    return UserFactory(username="supervisor", role=Role.SUPERVISOR)


@pytest.fixture
def manager(db):
    return UserFactory(username="manager", role=Role.MANAGER)


@pytest.fixture
def customer_a(org_a):
    return CustomerFactory(username="cust_a", organization=org_a)


@pytest.fixture
def customer_b(org_b):
    return CustomerFactory(username="cust_b", organization=org_b)


@pytest.fixture
def contact_a(org_a):
    return ContactFactory(organization=org_a, name="Zhang Wei", phone="13800001111")


@pytest.fixture
def ci_a(org_a):
    return CIFactory(organization=org_a, name="core-switch-a")


@pytest.fixture
def ci_b(org_b):
    return CIFactory(organization=org_b, name="core-switch-b")


@pytest.fixture
def make_incident(operator, now):
    """Create an incident through the real service; `status=` walks it along the workflow."""

    def make(*, organization, status: str = "new", actor: Any = None, assignee: Any = None, **kwargs: Any) -> Incident:
        kwargs.setdefault("title", "Camera offline")
        kwargs.setdefault("impact", "medium")
        kwargs.setdefault("urgency", "medium")
        inc = incident_create(actor=actor or operator, organization=organization, now=now, **kwargs)
        path = {
            "new": [],
            "assigned": ["assign"],
            "in_progress": ["assign", "accept"],
            "pending": ["assign", "accept", "pend"],
            "resolved": ["assign", "accept", "resolve"],
            "observing": ["assign", "accept", "resolve", "observe"],
            "closed": ["assign", "accept", "resolve", "observe", "close"],
            "cancelled": ["cancel"],
        }[status]
        lead = UserFactory(role=Role.MANAGER)
        payload = {"assignee": (assignee or lead).pk, "reason": "test", "cause_category": "hardware",
                   "resolution": "replaced the PSU"}
        for action in path:
            actor_for = assignee if (assignee and action in {"accept", "pend", "resolve"}) else lead
            inc = incident_transition(incident_id=inc.pk, actor=actor_for, action=action, payload=payload, now=now)
        return inc

    return make


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def api_as(api_client):
    def login(user):
        api_client.force_authenticate(user=user)
        return api_client

    return login


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One system Chromium per test process, shared by every Playwright test that asks for `browser`
    (tests/e2e, inspections): two sync Playwright instances in one thread cannot coexist."""
    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

    if not Path(CHROMIUM).exists():
        pytest.skip("system Chromium not installed at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
