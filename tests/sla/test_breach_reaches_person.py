"""Issue #12 items 2 and 3: a breach always reaches a person (assignee, else the group's lead, else
the dispatchers on duty), and every message is written in its reader's language and the
organisation's time zone, with a human date, whatever language and zone the worker runs in."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from accounts.choices import Role
from incidents.models import Incident
from incidents.services import incident_create
from incidents.sla import sla_sweep
from incidents.sla.escalation import breach_recipients
from notifications.choices import ChannelKind
from notifications.models import Notification, NotificationChannel, NotificationRule
from tests.factories import SupportGroupFactory, UserFactory
from tickets.models import TicketEvent

from .conftest import make_policy

M = timedelta(minutes=1)
pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 5, 23, 20, tzinfo=ZoneInfo("UTC"))  # 07:20 on 6 December in Beijing


@pytest.fixture
def seeded_rules(db):
    """The rules notifications/migrations/0002 seeds: breach → assignee and group lead, escalation → target."""
    channel = NotificationChannel.objects.create(name="In-app (seeded)", kind=ChannelKind.INAPP, is_active=True)
    for event, recipients in {"sla.breach": ["assignee", "group_lead"], "escalation": ["target"],
                              "sla.warning": ["assignee"]}.items():
        NotificationRule.objects.create(name=event, event=event, recipients=recipients).channels.set([channel])
    return channel


def _incident(operator, org, group=None):
    inc = incident_create(actor=operator, organization=org, title="Camera offline", impact="low", urgency="low",
                          now=NOW)
    if group is not None:
        Incident.objects.filter(pk=inc.pk).update(group=group)
        inc.refresh_from_db()
    return inc


@pytest.fixture
def breach(django_capture_on_commit_callbacks):
    def run(incident):
        # level IV respond target 10 minutes (policy below); the sweep runs in English, as a worker does
        with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
            sla_sweep(now=NOW + 11 * M)
    return run


def test_unassigned_breach_without_a_group_reaches_the_dispatchers(org_a, operator, seeded_rules, breach):
    make_policy(targets={"IV": {"respond": 10 * M}})
    dispatchers = [UserFactory(username=f"disp{i}", role=Role.DISPATCHER, language="zh-hans") for i in range(2)]
    UserFactory(username="disp_gone", role=Role.DISPATCHER, is_active=False)
    inc = _incident(operator, org_a)
    assert inc.fault_level == "IV" and inc.assignee_id is None and inc.group_id is None
    breach(inc)
    got = Notification.objects.filter(event="sla.breach")
    assert sorted(got.values_list("user_id", flat=True)) == sorted(d.pk for d in dispatchers)
    escalated = Notification.objects.filter(event="escalation")
    assert sorted(escalated.values_list("user_id", flat=True)) == sorted(d.pk for d in dispatchers)
    event = TicketEvent.objects.get(ticket_kind="incident", ticket_id=inc.pk, action="escalated")
    assert {r["user"] for r in event.data["recipients"]} == {d.pk for d in dispatchers}


def test_group_without_lead_reaches_its_supervisor_not_the_dispatchers(org_a, operator, seeded_rules, breach):
    make_policy(targets={"IV": {"respond": 10 * M}})
    UserFactory(username="disp", role=Role.DISPATCHER)
    supervisor = UserFactory(username="sup", role=Role.SUPERVISOR)
    group = SupportGroupFactory(name="Cameras", lead=None)
    group.members.add(supervisor, UserFactory(username="eng", role=Role.ENGINEER))
    inc = _incident(operator, org_a, group=group)
    assert breach_recipients(inc) == [supervisor.pk]
    breach(inc)
    assert list(Notification.objects.filter(event="sla.breach").values_list("user_id", flat=True)) == [supervisor.pk]


def test_assignee_first(org_a, operator, seeded_rules, breach):
    eng = UserFactory(username="eng", role=Role.ENGINEER)
    UserFactory(username="disp", role=Role.DISPATCHER)
    inc = _incident(operator, org_a)
    inc.assignee = eng
    assert breach_recipients(inc) == [eng.pk]


def test_messages_in_the_readers_language_and_time_zone(org_a, operator, seeded_rules, breach):
    make_policy(targets={"IV": {"respond": 10 * M}})
    zh = UserFactory(username="disp_zh", role=Role.DISPATCHER, language="zh-hans")
    en = UserFactory(username="disp_en", role=Role.DISPATCHER, language="en")
    inc = _incident(operator, org_a)
    breach(inc)
    zh_msg = Notification.objects.get(event="sla.breach", user=zh)
    en_msg = Notification.objects.get(event="sla.breach", user=en)
    due_utc = NOW + 10 * M  # 23:30 UTC on the 5th = 07:30 on the 6th in Beijing
    for text in (zh_msg.title, zh_msg.body, en_msg.title, en_msg.body):
        assert due_utc.isoformat() not in text and "+00:00" not in text and "T23:30" not in text
    assert "2026年12月6日 07:30" in zh_msg.body, zh_msg.body
    assert "违约" in zh_msg.title or "超时" in zh_msg.title, zh_msg.title
    assert not any(word in zh_msg.title for word in ("breached", "target", "Response"))
    assert en_msg.body == "Was due at 6 Dec 2026, 07:30."
    assert en_msg.title == f"{inc.number}: Response target breached"


def test_messages_follow_the_organisations_time_zone(org_a, operator, seeded_rules, breach):
    org_a.time_zone = "Europe/Berlin"
    org_a.save(update_fields=["time_zone"])
    make_policy(targets={"IV": {"respond": 10 * M}})
    en = UserFactory(username="disp_en", role=Role.DISPATCHER, language="en")
    breach(_incident(operator, org_a))
    assert Notification.objects.get(event="sla.breach", user=en).body == "Was due at 6 Dec 2026, 00:30."


def test_timeline_translates_reason_codes_and_shows_local_due(org_a, operator, seeded_rules, breach, client):
    make_policy(targets={"IV": {"respond": 10 * M}})
    disp = UserFactory(username="disp_zh", role=Role.DISPATCHER, language="zh-hans")
    inc = _incident(operator, org_a)
    breach(inc)
    client.force_login(disp)
    client.cookies["django_language"] = "zh-hans"
    page = client.get(f"/incidents/{inc.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    start = page.index('id="timeline"')
    timeline = re.sub(r"<[^>]+>", " ", page[start:page.index("</ol>", start)])  # the text people read
    assert "breach" not in timeline and "still_breached" not in timeline
    assert "目标已超时" in timeline or "违约" in timeline
    assert "2026-12-06 07:30" in timeline  # the due time in Beijing time


def test_inactive_group_lead_falls_through_to_the_dispatchers(org_a, operator, seeded_rules, breach):
    make_policy(targets={"IV": {"respond": 10 * M}})
    disp = UserFactory(username="disp", role=Role.DISPATCHER)
    gone = UserFactory(username="gone", role=Role.SUPERVISOR, is_active=False)
    inc = _incident(operator, org_a, group=SupportGroupFactory(name="Left", lead=gone))
    assert breach_recipients(inc) == [disp.pk]
    breach(inc)
    assert list(Notification.objects.filter(event="sla.breach").values_list("user_id", flat=True)) == [disp.pk]
