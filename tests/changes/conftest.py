"""Fixtures of the change tests: CABs, a customer with a contact, and `make_change`, which raises
a change through the real services and walks it along the workflow to the wanted status."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from accounts.choices import Role
from changes.choices import CABRule, ChangeStatus, ChangeType
from changes.models import CAB, Change, ChangeTemplate
from changes.services import change_create, change_transition
from tests.factories import CIFactory, ContactFactory, CustomerFactory, UserFactory
from tests.portal.conftest import artifacts, run_with_browser  # noqa: F401  (browser-journey fixtures)

ANSWERS = {"service_impact": "group", "outage": "short", "experience": "once", "backout": "easy", "tested": "yes"}
# Normal route: status reached → the actions that lead there (after the change is raised).
NORMAL_PATH = {
    "draft": [], "submitted": ["submit"], "assessed": ["submit", "assess"],
    "cab_approval": ["submit", "assess", "request_approval"],
    "customer_approval": ["submit", "assess", "request_approval", "cab"],
    "approved": ["submit", "assess", "request_approval", "cab", "customer"],
    "scheduled": ["submit", "assess", "request_approval", "cab", "customer", "schedule"],
    "implementing": ["submit", "assess", "request_approval", "cab", "customer", "schedule", "implement"],
    "implemented": ["submit", "assess", "request_approval", "cab", "customer", "schedule", "implement", "complete"],
    "failed": ["submit", "assess", "request_approval", "cab", "customer", "schedule", "implement", "fail"],
    "review": ["submit", "assess", "request_approval", "cab", "customer", "schedule", "implement", "complete",
               "review"],
    "closed": ["submit", "assess", "request_approval", "cab", "customer", "schedule", "implement", "complete",
               "review", "close"],
}


@pytest.fixture
def lead(db):
    return UserFactory(username="lead", name="Lead Lu", role=Role.REGIONAL_LEAD)


@pytest.fixture
def analyst(db):
    return UserFactory(username="analyst", name="Ana Lin", role=Role.ANALYST)


@pytest.fixture
def cab(lead, manager, analyst):
    board = CAB.objects.create(name="Weekly CAB", rule=CABRule.QUORUM, quorum=2)
    board.members.set([lead, manager, analyst])
    return board


@pytest.fixture
def emergency_cab(lead, manager):
    board = CAB.objects.create(name="Emergency CAB", rule=CABRule.QUORUM, quorum=1, is_emergency=True)
    board.members.set([lead, manager])
    return board


@pytest.fixture
def approver_a(org_a):
    user = CustomerFactory(username="approver_a", name="Zhao Min", organization=org_a)
    ContactFactory(organization=org_a, name="Zhao Min", phone="13900002222", email="zhao.min@example.com", user=user)
    return user


@pytest.fixture
def approver_contact(approver_a):
    return approver_a.contact


@pytest.fixture
def template(db):
    return ChangeTemplate.objects.create(
        name="Replace a failed disk", implementation_plan="Hot-swap the disk.", backout_plan="Put the old one back.",
        test_plan="Array rebuilds.", risk="low", customer_preapproved=False)


@pytest.fixture
def make_change(engineer, cab, manager, approver_a, approver_contact, now):
    def make(*, organization: Any = None, status: str = "draft", type: str = ChangeType.NORMAL,  # noqa: A002
             cis: Any = None, start: Any = None, hours: int = 2, **kwargs: Any) -> Change:
        organization = organization or approver_a.organization
        if cis is None:
            cis = [CIFactory(organization=organization)]
        start = start or now + timedelta(days=3)
        defaults: dict[str, Any] = {
            "title": "Upgrade core switch firmware", "reason": "Security fix", "implementation_plan": "Upgrade.",
            "backout_plan": "Downgrade.", "test_plan": "Ping.", "risk_answers": ANSWERS,
            "contact": approver_contact if organization == approver_a.organization else None,
        }
        defaults.update(kwargs)
        change = change_create(actor=engineer, organization=organization, type=type, cis=cis, planned_start=start,
                               planned_end=start + timedelta(hours=hours), now=now, **defaults)
        customer = approver_a if organization == approver_a.organization else None
        for step in NORMAL_PATH[status]:
            change = walk(change, step, engineer=engineer, manager=manager, cab=cab, customer=customer, now=now)
        assert change.status == status
        return change

    return make


def walk(change: Change, step: str, *, engineer: Any, manager: Any, cab: Any, customer: Any, now: Any) -> Change:
    if step == "cab":
        for member in list(cab.members.all())[:2]:
            change = change_transition(change_id=change.pk, actor=member, action="approve", now=now)
        return change
    if step == "customer":
        return change_transition(change_id=change.pk, actor=customer, action="approve", now=now)
    actor = engineer if step in ("submit", "implement", "complete", "fail") else manager
    payload = {"reason": "it broke", "outcome": "successful", "notes": "went well"}
    return change_transition(change_id=change.pk, actor=actor, action=step, payload=payload, now=now)


@pytest.fixture
def statuses():
    return ChangeStatus
