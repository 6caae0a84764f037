"""Assurance figures of issue #16: availability per business service computed by hand on a small
impact graph (a switch with two cameras, overlapping outages, one across a month boundary), the
hotline connect rate from an imported Asterisk CDR (hostile cells, imported twice = no change, the
hotline log as fallback), and half-yearly questionnaire rounds scheduled idempotently."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from accounts.choices import Role
from cmdb.services import relation_create
from incidents.services import incident_create, incident_transition
from quality.figures import connect_rate_by_month, service_availability, union_seconds
from quality.models import AvailabilityTarget, HotlineTarget, PhoneCall, SurveyRound
from quality.services import phone_calls_import, survey_rounds_schedule
from tests.factories import CIClassFactory, CIFactory, ContactFactory, OrganizationFactory, UserFactory
from tickets.choices import CallOutcome
from tickets.models import CallRecord

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def t(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SH)


def outage(boss, tech, org, ci, start, end=None, *, cancel=False):
    inc = incident_create(actor=boss, organization=org, title=f"{ci.name} down", fault_level="III",
                          level_reason="test", ci=ci, now=start)
    if cancel:
        return incident_transition(incident_id=inc.pk, actor=boss, action="cancel", payload={"reason": "duplicate"},
                                   now=start + timedelta(minutes=1))
    inc = incident_transition(incident_id=inc.pk, actor=boss, action="assign", payload={"assignee": tech.pk}, now=start)
    inc = incident_transition(incident_id=inc.pk, actor=tech, action="accept", payload={}, now=start)
    if end is not None:
        inc = incident_transition(incident_id=inc.pk, actor=tech, action="restore", payload={"workaround": "fixed"},
                                  now=end)
    return inc


@pytest.fixture
def graph(db):
    boss = UserFactory(username="boss-av", role=Role.MANAGER)
    tech = UserFactory(username="tech-av", role=Role.ENGINEER)
    org = OrganizationFactory(code="av-org", name="Availability Org")
    service = CIFactory(organization=org, name="Video surveillance",
                        ci_class=CIClassFactory(code="svc", name="Service", is_service=True))
    switch = CIFactory(organization=org, name="switch-1", ci_class=CIClassFactory(code="sw", name="Switch"))
    cam_class = CIClassFactory(code="cam", name="Camera")
    cam1 = CIFactory(organization=org, name="cam-1", ci_class=cam_class)
    cam2 = CIFactory(organization=org, name="cam-2", ci_class=cam_class)
    other = CIFactory(organization=org, name="printer", ci_class=CIClassFactory(code="prn", name="Printer"))
    for cam in (cam1, cam2):
        relation_create(source=service, target=cam, type="depends_on", actor=boss)
        relation_create(source=cam, target=switch, type="connects_to", actor=boss)
    AvailabilityTarget.objects.create(service=service, target_pct=Decimal("99.5"))
    # switch 10:00–11:00 and cam-1 10:30–12:00 on 5 Oct overlap: 120 minutes, not 150
    outage(boss, tech, org, switch, t(10, 5, 10), t(10, 5, 11))
    outage(boss, tech, org, cam1, t(10, 5, 10, 30), t(10, 5, 12))
    # cam-2 from 23:00 on 31 Oct to 01:00 on 1 Nov: 60 minutes in each month
    outage(boss, tech, org, cam2, t(10, 31, 23), t(11, 1, 1))
    # not counted: a printer (not in the service's graph) and a cancelled duplicate on the switch
    outage(boss, tech, org, other, t(10, 7, 9), t(10, 7, 18))
    outage(boss, tech, org, switch, t(10, 9, 9), cancel=True)
    return {"service": service, "org": org, "boss": boss, "tech": tech, "switch": switch}


def test_union_of_intervals_by_hand():
    a, b = t(10, 1, 0), t(10, 2, 0)
    assert union_seconds([(t(10, 1, 1), t(10, 1, 2)), (t(10, 1, 1, 30), t(10, 1, 3))], a, b) == 2 * 3600
    assert union_seconds([(t(9, 30, 23), t(10, 1, 1))], a, b) == 3600  # clipped to the window
    assert union_seconds([(t(10, 1, 1), t(10, 1, 2)), (t(10, 1, 4), t(10, 1, 5))], a, b) == 2 * 3600
    assert union_seconds([], a, b) == 0


def test_availability_on_a_small_impact_graph(graph):
    now = t(12, 1, 0)
    october = service_availability(service=graph["service"], start=t(10, 1, 0), end=t(11, 1, 0), now=now)
    assert october.window_minutes == 31 * 24 * 60 == 44640
    assert october.down_minutes == 120 + 60  # overlap counted once; cam-2 clipped at midnight
    assert october.incidents == 3  # switch, cam-1, cam-2 (printer and the cancelled one left out)
    assert october.achieved_pct == round(100 * (44640 - 180) / 44640, 3) == 99.597
    assert october.met is True and october.target_pct == Decimal("99.5")
    assert october.ci_count == 4  # the service, two cameras, the switch
    november = service_availability(service=graph["service"], start=t(11, 1, 0), end=t(12, 1, 0), now=now)
    assert (november.down_minutes, november.incidents) == (60, 0)  # carried over, reported in October
    assert november.achieved_pct == round(100 * (43200 - 60) / 43200, 3)


def test_an_open_outage_runs_to_now_and_misses_the_target(graph):
    outage(graph["boss"], graph["tech"], graph["org"], graph["switch"], t(10, 20, 8))  # never restored
    result = service_availability(service=graph["service"], start=t(10, 1, 0), end=t(11, 1, 0), now=t(10, 21, 8))
    assert result.window_minutes == 20 * 1440 + 8 * 60  # the month so far
    assert result.down_minutes == 120 + 24 * 60
    assert result.met is False


ASTERISK = (
    b'"","13800000001","12345","from-trunk","""Zhang"" <13800000001>","SIP/trunk-1","SIP/101-1","Dial",'
    b'"SIP/101","2026-10-05 09:00:00","2026-10-05 09:00:05","2026-10-05 09:03:00",180,175,"ANSWERED",'
    b'"DOCUMENTATION","1759626000.1",""\n'
    b'"","13800000002","12345","from-trunk","","SIP/trunk-2","","Dial","SIP/101","2026-10-05 10:00:00","",'
    b'"2026-10-05 10:00:30",30,0,"NO ANSWER","DOCUMENTATION","1759629600.2",""\n'
    b'"","=HYPERLINK(""http://evil"")","12345","from-trunk","","SIP/trunk-3","","Dial","SIP/101",'
    b'"2026-10-06 10:00:00","","2026-10-06 10:00:10",10,0,"BUSY","DOCUMENTATION","1759716000.3",""\n'
    b'"","13800000004","12345","from-trunk","","SIP/trunk-4","SIP/102-1","Dial","SIP/102",'
    b'"2026-10-07 11:00:00","2026-10-07 11:00:03","2026-10-07 11:05:00",300,297,"ANSWERED","DOCUMENTATION",'
    b'"1759806000.4",""\n'
    # ring group: a second leg of call .4 that nobody answered is the same call
    b'"","13800000004","12345","from-trunk","","SIP/trunk-4","SIP/103-1","Dial","SIP/103",'
    b'"2026-10-07 11:00:00","","2026-10-07 11:00:20",20,0,"NO ANSWER","DOCUMENTATION","1759806000.4",""\n'
    # hostile and broken lines
    b'"","13800000005","12345","x","","c","","Dial","","not a date","","",1,0,"ANSWERED","D","bad.5",""\n'
    b'"","13800000006","12345","x","","c","","Dial","","2026-10-08 08:00:00","","",-5,0,"ANSWERED","D","bad.6",""\n'
    b'"","13800000007","12345","x","","c","","Dial","","2026-10-08 08:00:00","","",5,0,"MAYBE","D","bad.7",""\n'
    b'just,three,cells\n'
    b'"","13800000008\x00\x07","12345","x","","c","","Dial","","2026-10-09 08:00:00","","",5,0,"FAILED","D",'
    b'"1759968000.8",""\n'
)


@pytest.fixture
def org_calls(db):
    return OrganizationFactory(code="call-org", name="Calls Org", time_zone="Asia/Shanghai")


def test_asterisk_cdr_import_is_idempotent_and_handles_hostile_cells(org_calls):
    boss = UserFactory(username="boss-cdr", role=Role.MANAGER)
    first = phone_calls_import(actor=boss, organization=org_calls, data=ASTERISK, filename="Master.csv",
                               now=t(11, 1, 9))
    assert (first["read"], first["created"], first["unchanged"]) == (5, 5, 0)
    assert [e["line"] for e in first["errors"]] == [6, 7, 8, 9]
    second = phone_calls_import(actor=boss, organization=org_calls, data=ASTERISK, filename="Master.csv",
                                now=t(11, 2, 9))
    assert (second["created"], second["unchanged"]) == (0, 5)
    calls = {c.call_id: c for c in PhoneCall.objects.filter(organization=org_calls)}
    assert len(calls) == 5
    assert calls["1759806000.4"].disposition == "answered"  # the answered leg wins
    assert calls["1759626000.1"].started_at == t(10, 5, 9)  # the PBX's wall clock in the organisation's zone
    assert calls["1759968000.8"].caller == "13800000008"  # control characters removed
    assert calls["1759716000.3"].caller.startswith("=HYPERLINK")  # stored as text; exports escape it
    rows = connect_rate_by_month(organization_id=org_calls.pk, start=t(10, 1, 0), end=t(11, 1, 0))
    assert rows == [{"label": "2026-10", "offered": 5, "answered": 2, "missed": 3, "rate": 40.0,
                     "target": Decimal("90"), "below": True, "source": "phone_system"}]


def test_headered_csv_target_and_hotline_log_fallback(org_calls, tmp_path):
    HotlineTarget.objects.create(organization=org_calls, target_pct=Decimal("75"))
    csv_file = tmp_path / "calls.csv"
    csv_file.write_text("call_id,calldate,src,dst,disposition,billsec\n"
                        "a1,2026-10-02 09:00:00,1,2,answered,60\na2,2026-10-02 09:10:00,1,2,answered,60\n"
                        "a3,2026-10-02 09:20:00,1,2,answered,60\na4,2026-10-02 09:30:00,1,2,no answer,0\n",
                        encoding="utf-8")
    call_command("import_cdr", str(csv_file), organization=org_calls.code)
    call_command("import_cdr", str(csv_file), organization=org_calls.code)
    # September has only the operators' hotline log: 1 of 2 answered
    CallRecord.objects.create(received_at=t(9, 10, 9), organization=org_calls, outcome=CallOutcome.ANSWERED)
    CallRecord.objects.create(received_at=t(9, 11, 9), organization=org_calls, outcome=CallOutcome.MISSED)
    # October has both: the phone system's records are used, the log's are not added to them
    CallRecord.objects.create(received_at=t(10, 3, 9), organization=org_calls, outcome=CallOutcome.MISSED)
    rows = connect_rate_by_month(organization_id=org_calls.pk, start=t(9, 1, 0), end=t(11, 1, 0))
    assert [(r["label"], r["offered"], r["answered"], r["rate"], r["below"], r["source"]) for r in rows] == [
        ("2026-09", 2, 1, 50.0, True, "hotline_log"), ("2026-10", 4, 3, 75.0, False, "phone_system")]


def test_a_file_that_is_not_a_cdr_gives_line_errors_not_a_crash(org_calls):
    result = phone_calls_import(actor=None, organization=org_calls, data=b"\xff\xfe\x00garbage\n,,,\n\"unclosed",
                                filename="x.csv", now=t(11, 1, 0))
    assert result["created"] == 0 and result["errors"]


def test_half_yearly_rounds_are_scheduled_once(questionnaire):
    org = OrganizationFactory(code="survey-org")
    ContactFactory(organization=org, email="a@example.com")
    OrganizationFactory(code="no-contacts")
    questionnaire.send_every_half_year = True
    questionnaire.save()
    first = survey_rounds_schedule(now=t(7, 1, 0, 5))
    assert first["sent"] >= 1 and first["skipped"] >= 1
    again = survey_rounds_schedule(now=t(7, 2, 0))
    assert again["sent"] == 0
    assert SurveyRound.objects.filter(organization=org, year=2026, half=2).count() == 1
    survey_rounds_schedule(now=t(6, 30, 23))  # the first half, in Asia/Shanghai
    assert set(SurveyRound.objects.filter(organization=org).values_list("half", flat=True)) == {1, 2}


def test_admin_pages_of_the_targets_and_calls(client, org_calls):
    admin = UserFactory(username="admin-as", role=Role.MANAGER, is_superuser=True, is_staff=True)
    client.force_login(admin)
    phone_calls_import(actor=None, organization=org_calls, data=ASTERISK, filename="Master.csv", now=t(11, 1, 9))
    for url in ("/admin/quality/availabilitytarget/", "/admin/quality/availabilitytarget/add/",
                "/admin/quality/hotlinetarget/add/", "/admin/quality/phonecall/",
                f"/admin/quality/phonecall/{PhoneCall.objects.first().pk}/change/"):
        assert client.get(url).status_code == 200, url
    assert client.get("/admin/quality/phonecall/add/").status_code == 403  # evidence: never added or edited by hand
    bad = client.post("/admin/quality/hotlinetarget/add/", {"organization": org_calls.pk, "target_pct": "120"})
    assert bad.status_code == 200 and not HotlineTarget.objects.exists()  # a field error, not a 500


def test_connect_rate_page_imports_a_cdr_upload_and_shows_the_month(client, org_calls):
    """The manager uploads the phone system's export in the browser (not only `manage.py import_cdr`): counts
    and unreadable lines are said, a second upload changes nothing, the month's rate is shown against the
    target; an engineer gets a 404, and a bad upload is a 400 with a field error."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    manager = UserFactory(username="cdr-manager", role=Role.MANAGER)
    day = timezone.localtime(timezone.now(), ZoneInfo("Asia/Shanghai")).replace(day=1, hour=9, minute=0)
    rows = "".join(f"u{i},{day:%Y-%m-%d} 09:{i:02d}:00,1380000000{i},12345,{'answered' if i < 3 else 'no answer'},60\n"
                   for i in range(4))
    data = ("call_id,calldate,src,dst,disposition,billsec\n" + rows + "u9,not a date,1,2,answered,1\n").encode()
    client.force_login(manager)
    page = client.get("/quality/calls/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200 and "接通率" in page.content.decode()
    for _ in range(2):
        done = client.post("/quality/calls/", {"organization": org_calls.pk,
                                               "file": SimpleUploadedFile("calls.csv", data, "text/csv")}, follow=True)
        assert done.status_code == 200
    text = done.content.decode()
    assert "0 new" in text and "4 already imported" in text and "1 lines not read" in text
    assert PhoneCall.objects.filter(organization=org_calls).count() == 4
    assert f"{day:%Y-%m}" in text and "75.0 %" in text and "below target" in text
    bad = client.post("/quality/calls/", {"organization": org_calls.pk})
    assert bad.status_code == 400 and PhoneCall.objects.count() == 4
    engineer = UserFactory(username="cdr-eng", role=Role.ENGINEER)
    client.force_login(engineer)
    assert client.get("/quality/calls/").status_code == 404
    assert client.post("/quality/calls/", {"organization": org_calls.pk,
                                           "file": SimpleUploadedFile("c.csv", data, "text/csv")}).status_code == 404
