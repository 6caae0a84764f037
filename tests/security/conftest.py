from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.factories import CIFactory

FIXTURES = Path(__file__).parent / "fixtures"
SH = ZoneInfo("Asia/Shanghai")


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SH)


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture(autouse=True)
def calendar_2026(db):
    """Tests run without migrations: the default calendar with the official 2026 holidays and
    make-up working days, as the migrations install it."""
    from tickets.models import WorkCalendar
    from tickets.sla_config import DEFAULT_CALENDAR_CODE, calendar_sync

    calendar, _ = WorkCalendar.objects.get_or_create(code=DEFAULT_CALENDAR_CODE, defaults={"name": "默认"})
    calendar_sync(calendar=calendar, years=[2026])


@pytest.fixture
def hosts(org_a, org_b):
    """web01 matched by IP, db01 by host name or asset tag; a look-alike in organisation B."""
    web = CIFactory(name="WEB-01", organization=org_a, attributes={"ip": "192.168.10.11", "hostname": "web01"})
    db = CIFactory(name="Database server", organization=org_a, asset_tag="AT-003",
                   attributes={"mgmt_ip": "192.168.10.12", "hostname": "db01"})
    other = CIFactory(name="B-WEB", organization=org_b, attributes={"ip": "10.9.9.9"})
    return {"web": web, "db": db, "other": other}
