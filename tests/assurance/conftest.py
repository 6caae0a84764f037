from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from accounts.choices import Role
from assurance.services import backup_job_create, plan_create
from tests.factories import CIFactory, CustomerFactory, OrganizationFactory, SupportGroupFactory, UserFactory

SH = ZoneInfo("Asia/Shanghai")


def at(y: int, m: int, d: int, h: int = 10, minute: int = 0) -> datetime:
    return datetime(y, m, d, h, minute, tzinfo=SH)


@pytest.fixture(autouse=True)
def work_calendar(db):
    """Tests run without migrations: the default SLA calendar with the official 2026 holidays and
    make-up working days, as the migrations install it."""
    from tickets.models import WorkCalendar
    from tickets.sla_config import DEFAULT_CALENDAR_CODE, calendar_sync

    calendar, _ = WorkCalendar.objects.get_or_create(code=DEFAULT_CALENDAR_CODE, defaults={"name": "默认"})
    calendar_sync(calendar=calendar, years=[2026])


@pytest.fixture
def org(db):
    return OrganizationFactory(name="平安市公安局", code="police")


@pytest.fixture
def other_org(db):
    return OrganizationFactory(name="交通局", code="traffic")


@pytest.fixture
def lead(db):
    return UserFactory(username="lead", name="组长", role=Role.REGIONAL_LEAD, language="zh-hans")


@pytest.fixture
def eng(db):
    return UserFactory(username="eng", name="张工", role=Role.ENGINEER)


@pytest.fixture
def outsider(db):
    return UserFactory(username="outsider", name="外组工程师", role=Role.ENGINEER)


@pytest.fixture
def boss(db):
    return UserFactory(username="boss", name="项目经理", role=Role.MANAGER)


@pytest.fixture
def grp(db, lead, eng):
    g = SupportGroupFactory(name="北区运维组", lead=lead)
    g.members.add(eng)
    return g


@pytest.fixture
def server(org):
    return CIFactory(organization=org, name="VMS-01")


@pytest.fixture
def other_server(other_org):
    return CIFactory(organization=other_org, name="TRAFFIC-DB")


@pytest.fixture
def customer(org):
    return CustomerFactory(username="cust", organization=org)


@pytest.fixture
def other_customer(other_org):
    return CustomerFactory(username="cust_b", organization=other_org)


@pytest.fixture
def plan(org, grp, eng, server):
    return plan_create(actor=eng, organization=org, name="视频平台宕机预案", scenario="主服务器宕机",
                       steps=["确认故障", "切换备机", "恢复数据库"], contacts="值班 400", rto_minutes=60,
                       review_interval_months=6, group=grp, cis=[server], last_reviewed_on=datetime(2026, 1, 5).date(),
                       now=at(2026, 1, 5))


@pytest.fixture
def job(server, grp, eng):
    made, _token = backup_job_create(actor=eng, ci=server, name="配置库每日备份", interval_hours=24, grace_hours=2,
                                     group=grp, now=at(2026, 3, 1, 8))
    return made


@pytest.fixture
def job_token(server, grp, eng):
    made, token = backup_job_create(actor=eng, ci=server, name="整机镜像", method="disk2vhd", interval_hours=168,
                                    group=grp, now=at(2026, 3, 1, 8))
    return made, token
