"""Fixtures for the SLA engine tests: a policy with short targets, notification rules, eager tasks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connections

from accounts.choices import Role
from notifications.choices import ChannelKind
from notifications.models import NotificationChannel, NotificationRule
from opsdesk.celery import app as celery_app
from tests.factories import ContactFactory, SupportGroupFactory, UserFactory
from tickets.models import SLAPolicy, SLATarget, WorkCalendar

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _fast_hashing_and_eager_tasks(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def people(db):
    """Everyone the default escalation chain names."""
    engineer = UserFactory(username="sla_engineer", role=Role.ENGINEER)
    group_lead = UserFactory(username="sla_group_lead", role=Role.ENGINEER)
    regional = UserFactory(username="sla_regional", role=Role.REGIONAL_LEAD)
    pm = UserFactory(username="sla_pm", role=Role.MANAGER)
    dispatcher = UserFactory(username="sla_dispatcher", role=Role.DISPATCHER)
    group = SupportGroupFactory(name="SLA group", lead=group_lead)
    group.members.add(engineer)
    return {"engineer": engineer, "group_lead": group_lead, "regional": regional, "pm": pm,
            "dispatcher": dispatcher, "group": group}


@pytest.fixture
def contact(org_a):
    return ContactFactory(organization=org_a, name="Li Lei", phone="13900000000", email="lilei@example.com")


@pytest.fixture
def inapp_rules(db):
    """In-app notifications for every SLA event, to the people each event names."""
    channel = NotificationChannel.objects.create(name="In-app (SLA tests)", kind=ChannelKind.INAPP, is_active=True)
    rules = {
        "sla.warning": ["assignee"], "sla.breach": ["assignee"], "escalation": ["target"],
        "incident.major": ["role:regional_lead"], "progress.overdue": ["assignee"], "report.overdue": ["assignee"],
        "observation.closed": ["assignee"],
    }
    for event, recipients in rules.items():
        rule = NotificationRule.objects.create(name=f"{event} (test)", event=event, recipients=recipients)
        rule.channels.set([channel])
    return channel


def make_policy(*, name: str = "Test policy", organization: Any = None, targets: dict[str, dict[str, timedelta]],
                thresholds: list[int] | None = None, step: timedelta | None = None, business: bool = False) -> SLAPolicy:
    calendar, _ = WorkCalendar.objects.get_or_create(code="test-cal", defaults={"name": "Test"})
    policy = SLAPolicy.objects.create(name=name, organization=organization, calendar=calendar,
                                      warn_thresholds=[50, 75, 90] if thresholds is None else thresholds,
                                      escalation_step=step)
    for level, by_target in targets.items():
        for target, duration in by_target.items():
            SLATarget.objects.create(policy=policy, fault_level=level, target=target, duration=duration,
                                     clock="business" if business else "24x7")
    return policy


@pytest.fixture
def policy_factory(db) -> Callable[..., SLAPolicy]:
    return make_policy


def in_thread(fn: Callable[[], Any]) -> Callable[[], Any]:
    def body() -> Any:
        try:
            return fn()
        finally:
            connections.close_all()

    return body


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SH)
