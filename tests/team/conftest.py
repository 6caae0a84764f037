from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from accounts.choices import Role
from tests.factories import CustomerFactory, SupportGroupFactory, UserFactory

SH = ZoneInfo("Asia/Shanghai")


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def crew(db, org_a):
    lead = UserFactory(username="crew_lead", name="Lead Lu", role=Role.ENGINEER)
    eng = UserFactory(username="crew_eng", name="Wang Wu", role=Role.ENGINEER)
    mate = UserFactory(username="crew_mate", name="Zhao Liu", role=Role.ENGINEER)
    manager = UserFactory(username="crew_pm", name="PM", role=Role.MANAGER)
    dispatcher = UserFactory(username="crew_disp", role=Role.DISPATCHER)
    customer = CustomerFactory(username="crew_customer", organization=org_a)
    group = SupportGroupFactory(name="Crew", lead=lead)
    group.members.add(eng, mate)
    return {"lead": lead, "eng": eng, "mate": mate, "manager": manager, "customer": customer, "group": group,
            "dispatcher": dispatcher}
