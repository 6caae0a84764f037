"""A small month of operations for organisation A (and some noise in organisation B), written through
the real services at chosen times, so each report kind's figures can be checked against numbers
counted by hand from this story and against the incidents API."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from accounts.choices import Role
from cmdb.models import CIClass
from incidents.followups import progress_update_add
from incidents.models import Incident, ObservationCheck, ObservationItem
from incidents.services import incident_create, incident_transition
from quality.models import Callback, SatisfactionRating
from tests.factories import CIFactory, ContactFactory, UserFactory
from tickets.services import call_record_create, request_create, ticket_worklog_add

SH = ZoneInfo("Asia/Shanghai")
DAY = datetime(2026, 10, 15, tzinfo=SH)  # the day of the daily log; October 2026 is the month, Q4 the quarter


def at(day: datetime, hh: int, mm: int = 0) -> datetime:
    return day.replace(hour=hh, minute=mm)


@dataclass
class Story:
    org_a: Any
    org_b: Any
    lead: Any
    engineer: Any
    analyst: Any
    cam1: Any
    cam2: Any
    inc: dict[str, Incident] = field(default_factory=dict)
    now: datetime = datetime(2026, 11, 20, 12, 0, tzinfo=SH)


def walk(incident: Incident, lead: Any, engineer: Any, steps: list[tuple[str, datetime]]) -> Incident:
    payload = {"assignee": engineer.pk, "reason": "test", "cause_category": "hardware",
               "resolution": "Replaced the camera power supply", "workaround": "Switched to the standby camera"}
    for action, when in steps:
        actor = lead if action in {"assign", "cancel", "observe", "close"} else engineer
        incident = incident_transition(incident_id=incident.pk, actor=actor, action=action, payload=payload, now=when)
    return incident


@pytest.fixture
def story(db, org_a, org_b) -> Story:
    lead = UserFactory(username="lead-r", role=Role.MANAGER)
    engineer = UserFactory(username="eng-r", role=Role.ENGINEER, name="Li Gong")
    analyst = UserFactory(username="analyst-r", role=Role.ANALYST, name="Wang Fenxi")
    operator = UserFactory(username="op-r", role=Role.OPERATOR)
    cam_class, _ = CIClass.objects.get_or_create(code="camera", defaults={"name": "Camera"})
    cam1 = CIFactory(organization=org_a, name="cam-gate-01", ci_class=cam_class, location="North gate")
    cam2 = CIFactory(organization=org_a, name="cam-hall-02", ci_class=cam_class, location="Hall")
    cam_b = CIFactory(organization=org_b, name="cam-b-01", ci_class=cam_class)
    contact = ContactFactory(organization=org_a, name="Zhao Lian", phone="13911112222")
    s = Story(org_a=org_a, org_b=org_b, lead=lead, engineer=engineer, analyst=analyst, cam1=cam1, cam2=cam2)

    def create(key: str, *, org: Any, reported: datetime, ci: Any = None, channel: str = "phone",
               impact: str = "medium", urgency: str = "medium", title: str = "Camera offline") -> Incident:
        s.inc[key] = incident_create(actor=operator, organization=org, title=f"{title} {key}",
                                     description=f"Picture lost at the {key} site", impact=impact, urgency=urgency,
                                     ci=ci, channel=channel, contact=contact if org == org_a else None,
                                     reported_at=reported, now=reported)
        return s.inc[key]

    # inc1: level I on cam1, the morning of DAY; progress updates 50 and 120 minutes in (the second late).
    t = at(DAY, 9)
    create("inc1", org=org_a, reported=t, ci=cam1, impact="high", urgency="high", title="Gate cameras down")
    walk(s.inc["inc1"], lead, engineer, [("assign", t + timedelta(minutes=5)), ("accept", t + timedelta(minutes=10)),
                                         ("arrive", t + timedelta(minutes=30))])
    progress_update_add(incident_id=s.inc["inc1"].pk, author=engineer, body="Power supply found dead",
                        now=t + timedelta(minutes=50))
    progress_update_add(incident_id=s.inc["inc1"].pk, author=engineer, body="Standby camera installed",
                        now=t + timedelta(minutes=120))
    s.inc["inc1"] = walk(s.inc["inc1"], lead, engineer, [("restore", t + timedelta(minutes=150)),
                                                         ("resolve", t + timedelta(minutes=180))])
    # inc2: found by monitoring at 23:30 local on DAY (still DAY and October), resolved the next morning.
    t2 = at(DAY, 23, 30)
    create("inc2", org=org_a, reported=t2, ci=cam1, channel="monitoring")
    s.inc["inc2"] = walk(s.inc["inc2"], lead, engineer, [("assign", t2 + timedelta(minutes=5)),
                                                         ("accept", t2 + timedelta(minutes=20)),
                                                         ("resolve", t2 + timedelta(hours=9))])
    # inc3: found by inspection on 20 October, low impact, resolved in 2 hours.
    t3 = at(DAY.replace(day=20), 14)
    create("inc3", org=org_a, reported=t3, ci=cam2, channel="inspection", impact="low", urgency="low")
    s.inc["inc3"] = walk(s.inc["inc3"], lead, engineer, [("assign", t3 + timedelta(minutes=5)),
                                                         ("accept", t3 + timedelta(minutes=15)),
                                                         ("resolve", t3 + timedelta(minutes=120))])
    # inc4: logged in error on DAY and cancelled: opened, but never a fault.
    create("inc4", org=org_a, reported=at(DAY, 10), ci=cam2)
    s.inc["inc4"] = walk(s.inc["inc4"], lead, engineer, [("cancel", at(DAY, 10, 15))])
    # inc5: organisation B on DAY — must never appear in A's reports.
    create("inc5", org=org_b, reported=at(DAY, 11), ci=cam_b, impact="high", urgency="high")
    # inc6: A, reported 30 September 23:30 local (Q3 and September), still open.
    create("inc6", org=org_a, reported=datetime(2026, 9, 30, 23, 30, tzinfo=SH), ci=cam2)
    # inc7: third fault of cam1 in October (flags it for replacement), open, level IV.
    create("inc7", org=org_a, reported=at(DAY.replace(day=25), 8), ci=cam1, impact="low", urgency="medium")

    for hh, outcome in ((8, "answered"), (9, "answered"), (13, "answered"), (20, "missed")):
        call_record_create(operator=operator, received_at=at(DAY, hh), caller_phone="13911112222", outcome=outcome,
                           organization=org_a, now=at(DAY, hh))
    call_record_create(operator=operator, received_at=at(DAY, 9), caller_phone="1", outcome="answered",
                       organization=org_b, now=at(DAY, 9))
    s.inc["training"] = request_create(actor=operator, organization=org_a, title="Train the new guards",
                                       request_type="training", reported_at=at(DAY, 15), now=at(DAY, 15))
    s.inc["complaint"] = request_create(actor=operator, organization=org_a, title="Engineer came late",
                                        request_type="complaint", reported_at=at(DAY, 16), now=at(DAY, 16))
    request_create(actor=operator, organization=org_b, title="B complaint", request_type="complaint",
                   reported_at=at(DAY, 16), now=at(DAY, 16))
    ticket_worklog_add(ticket=s.inc["inc1"], author=engineer, minutes=45, note="Replaced the PSU",
                       work_date=DAY.date(), now=at(DAY, 12))
    ticket_worklog_add(ticket=s.inc["inc2"], author=engineer, minutes=30, note="Reset the encoder",
                       work_date=(DAY + timedelta(days=1)).date(), now=at(DAY + timedelta(days=1), 9))
    # Quality data (rows written directly: the fixture needs their times, not their workflows).
    item = ObservationItem.objects.create(text="Picture stable", position=1)
    ObservationCheck.objects.create(incident=s.inc["inc1"], item=item, result="ok", checked_by=lead,
                                    checked_at=at(DAY.replace(day=17), 10))
    ObservationCheck.objects.create(incident=s.inc["inc3"], item=item, result="problem", checked_by=lead,
                                    checked_at=at(DAY.replace(day=22), 10))
    Callback.objects.create(incident=s.inc["inc1"], organization=org_a, outcome="reached", satisfaction=4,
                            called_by=lead, called_at=at(DAY.replace(day=18), 10))
    SatisfactionRating.objects.create(ticket_kind="incident", ticket_id=s.inc["inc1"].pk, ticket_number="x",
                                      organization=org_a, stars=5, source="portal",
                                      created_at=at(DAY.replace(day=19), 10))
    SatisfactionRating.objects.create(ticket_kind="incident", ticket_id=s.inc["inc3"].pk, ticket_number="y",
                                      organization=org_a, stars=3, source="portal",
                                      created_at=at(DAY.replace(day=23), 10))
    for key, inc in list(s.inc.items()):
        inc.refresh_from_db()
    return s


def pdf_text(pdf: bytes, tmp_path: Any) -> str:
    """The PDF's text (poppler's pdftotext, layout kept so table rows stay on one line)."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True)
    return out.stdout.decode("utf-8")


def report_input(*, organization: Any, period: str | None = None, incident: Any = None, now: datetime,
                 options: dict[str, Any] | None = None) -> Any:
    from reports.periods import period_parse
    from reports.registry import ReportInput

    if period is None:
        return ReportInput(organization=organization, start=None, end=None, period_label="", now=now,
                           incident=incident, options=options or {})
    p = period_parse(period)
    return ReportInput(organization=organization, start=p.start, end=p.end, period_label=p.text, now=now,
                       incident=incident, options=options or {})

