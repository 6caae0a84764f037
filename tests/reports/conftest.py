"""Fixture data for the reports tests: a month (October 2026, Asia/Shanghai) of faults of
organisation A walked through the real services with explicit times, plus noise that must not
count (another organisation, a cancelled incident, the next month just after midnight)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from accounts.choices import Role
from incidents.services import incident_create
from quality.models import SatisfactionRating
from tests.factories import CIClassFactory, CIFactory, CustomerFactory, OrganizationFactory, UserFactory

from .helpers import at, walk


@pytest.fixture
def boss(db):
    return UserFactory(username="boss", role=Role.MANAGER)


@pytest.fixture
def tech(db):
    return UserFactory(username="tech", role=Role.ENGINEER)


@pytest.fixture
def october(db, boss, tech):
    """Org A's October: 8 counted faults (one at 23:30 on the 31st), plus what must not count."""
    org = OrganizationFactory(name="市公安局 Alpha", code="alpha")
    other = OrganizationFactory(name="Other Org", code="other")
    camera = CIClassFactory(code="camera", name="摄像机")
    cam1 = CIFactory(organization=org, name="路口摄像机-01", ci_class=camera, location="North gate")
    cam2 = CIFactory(organization=org, name="路口摄像机-02", ci_class=camera)
    switch = CIFactory(organization=org, name="core-switch-1", ci_class=CIClassFactory(code="switch", name="Switch"))

    def make(when: datetime, *, level: str, channel: str = "phone", ci: Any = None, organization: Any = None,
             title: str = "Camera offline") -> Any:
        return incident_create(actor=boss, organization=organization or org, title=title, fault_level=level,
                               level_reason="test", channel=channel, ci=ci, now=when)

    def assign(when: datetime) -> tuple[str, datetime, dict[str, Any]]:
        return ("assign", when, {"assignee": tech.pk})

    def resolve(when: datetime, cause: str, text: str) -> tuple[str, datetime, dict[str, Any]]:
        return ("resolve", when, {"cause_category": cause, "resolution": text})

    created = {}
    # 1. Level I on cam1 by phone: every target met (15 min / 1 h / 4 h).
    t = at(3, 9)
    inc = make(t, level="I", ci=cam1)
    created["i1"] = walk(inc, boss, [assign(t + timedelta(minutes=2)), ("accept", t + timedelta(minutes=10), {}),
                                     ("arrive", t + timedelta(minutes=50), {}),
                                     ("restore", t + timedelta(hours=3), {"workaround": "swapped PSU"}),
                                     resolve(t + timedelta(hours=5), "hardware", "Power supply unit burnt out")])
    # 2. Level II on cam1 via portal: response late (45 > 30 min), restore late (9 h > 8 h); cause power.
    t = at(5, 10)
    inc = make(t, level="II", ci=cam1, channel="portal")
    created["i2"] = walk(inc, boss, [assign(t + timedelta(minutes=5)), ("accept", t + timedelta(minutes=45), {}),
                                     ("arrive", t + timedelta(minutes=90), {}),
                                     ("restore", t + timedelta(hours=9), {"workaround": "UPS bypass"}),
                                     resolve(t + timedelta(hours=10), "power", "Mains breaker tripped")])
    # 3. Level III from monitoring on cam2: software; a device fault? no: system-class.
    t = at(12, 10)
    inc = make(t, level="III", ci=cam2, channel="monitoring")
    created["i3"] = walk(inc, boss, [assign(t + timedelta(minutes=5)), ("accept", t + timedelta(minutes=30), {}),
                                     resolve(t + timedelta(hours=2), "software", "Platform service restarted")])
    # 4. Level IV by e-mail, no CI: a security incident.
    t = at(14, 15)
    inc = make(t, level="IV", channel="email", title="Unauthorised login attempt")
    created["i4"] = walk(inc, boss, [assign(t + timedelta(minutes=5)), ("accept", t + timedelta(minutes=20), {}),
                                     resolve(t + timedelta(hours=1), "security", "Password reset, IP blocked")])
    # 5. Level III by phone on cam1 (its third fault: flagged for replacement): network.
    t = at(20, 11)
    inc = make(t, level="III", ci=cam1)
    created["i5"] = walk(inc, boss, [assign(t + timedelta(minutes=5)), ("accept", t + timedelta(minutes=15), {}),
                                     resolve(t + timedelta(hours=3), "network", "Fibre re-spliced")])
    # 6. Level II on the switch, accepted but never restored: restore target missed (still open).
    t = at(22, 8)
    inc = make(t, level="II", ci=switch)
    created["i6"] = walk(inc, boss, [assign(t + timedelta(minutes=5)), ("accept", t + timedelta(minutes=20), {})])
    # 7. Level IV hardware fault on cam2 by phone.
    t = at(25, 9, 30)
    inc = make(t, level="IV", ci=cam2)
    created["i7"] = walk(inc, boss, [assign(t + timedelta(minutes=5)), ("accept", t + timedelta(minutes=50), {}),
                                     resolve(t + timedelta(hours=4), "hardware", "Lens heater replaced")])
    # 8. 23:30 local on the last day of the month: counts in October (15:30 UTC).
    created["late"] = make(at(31, 23, 30), level="IV", ci=cam2, title="Late night fault")
    # Noise: cancelled in October, 00:10 on 1 November local (still 31 October in UTC), another
    # organisation, and September for the trend.
    cancelled = make(at(8, 9), level="III", ci=cam1, title="Duplicate call")
    walk(cancelled, boss, [("cancel", at(8, 9, 5), {"reason": "duplicate"})])
    created["november"] = make(at(1, 0, 10, month=11), level="I", ci=cam1, title="Just after midnight")
    make(at(10, 10), level="I", organization=other, title="Other org fault",
         ci=CIFactory(organization=other, name="other-cam"))
    created["september"] = make(at(15, 10, month=9), level="III", ci=cam1, title="September fault")
    for stars, day in ((5, 6), (4, 16), (2, 26)):
        SatisfactionRating.objects.create(ticket_kind="incident", ticket_id=created["i1"].pk + stars,
                                          ticket_number=f"INC-X-{stars}", organization=org, stars=stars,
                                          source="portal", created_at=at(day, 12))
    SatisfactionRating.objects.create(ticket_kind="incident", ticket_id=999999, ticket_number="INC-X-NOV",
                                      organization=org, stars=1, source="portal", created_at=at(2, 12, month=11))
    return {"org": org, "other": other, "cis": {"cam1": cam1, "cam2": cam2, "switch": switch}, **created}


@pytest.fixture
def customer_alpha(october):
    return CustomerFactory(username="alpha_cust", organization=october["org"])


@pytest.fixture
def customer_other(october):
    return CustomerFactory(username="other_cust", organization=october["other"])


@pytest.fixture(autouse=True)
def _eager_celery():
    """Tasks queued on commit run in-process (the task functions themselves, no broker)."""
    from opsdesk.celery import app as celery_app

    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous
