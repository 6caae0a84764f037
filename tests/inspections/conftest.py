from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from accounts.choices import Role
from inspections.models import ChecklistTemplate, InspectionPlan
from tests.factories import CIClassFactory, CIFactory, OrganizationFactory, SupportGroupFactory, UserFactory

SH = ZoneInfo("Asia/Shanghai")


def at(y: int, m: int, d: int, h: int = 10) -> datetime:
    return datetime(y, m, d, h, tzinfo=SH)


@pytest.fixture(autouse=True)
def templates_and_calendar(db):
    """Tests run without migrations: install the seeded templates and the default calendar with
    the official 2026 holidays and make-up days, as migrations do."""
    from django.apps import apps

    from inspections.templates_data import install
    from tickets.models import WorkCalendar
    from tickets.sla_config import DEFAULT_CALENDAR_CODE, calendar_sync

    install(apps)
    calendar, _ = WorkCalendar.objects.get_or_create(code=DEFAULT_CALENDAR_CODE, defaults={"name": "默认"})
    calendar_sync(calendar=calendar, years=[2026])


@pytest.fixture
def org(db):
    return OrganizationFactory(name="平安市公安局", code="police")


@pytest.fixture
def lead(db):
    return UserFactory(username="lead", name="组长", role=Role.REGIONAL_LEAD)


@pytest.fixture
def eng(db):
    return UserFactory(username="eng", name="张工", role=Role.ENGINEER)


@pytest.fixture
def group(db, lead, eng):
    g = SupportGroupFactory(name="北区运维组", lead=lead)
    g.members.add(eng)
    return g


@pytest.fixture
def cameras(org):
    cls = CIClassFactory(code="camera", name="摄像机")
    return [CIFactory(organization=org, ci_class=cls, name=f"CAM-{i:02d}", site="北区") for i in range(5)]


@pytest.fixture
def make_plan(org, group):
    def make(code: str = "monthly-system", **kw: Any) -> InspectionPlan:
        data: dict[str, Any] = dict(name=f"plan {code}", template=ChecklistTemplate.objects.get(code=code),
                                    organization=org, group=group, frequency="monthly", starts_on=date(2026, 1, 1),
                                    created_at=at(2026, 1, 1))
        data.update(kw)
        cis = data.pop("cis", None)
        plan = InspectionPlan.objects.create(**data)
        if cis:
            plan.cis.set(cis)
        return plan

    return make


@pytest.fixture
def artifacts_dir():
    from tests.e2e.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
