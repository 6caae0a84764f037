"""The SLA engine on PostgreSQL: clocks through an incident's life, pause/resume, level change,
warnings → breach → escalation with time-machine, the escalation chain, idempotency, auto-close."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from incidents.models import Incident
from incidents.observation import incident_recurrence
from incidents.selectors import incident_sla_filter
from incidents.services import incident_create, incident_transition, incident_update
from incidents.sla import (
    incident_sla_on_progress,
    incident_sla_on_report,
    incident_sla_view,
    sla_sweep,
)
from notifications.models import Delivery
from tickets.models import CalendarDay, CalendarYear, EscalationStep, SLAClock, TicketEvent, WorkCalendar
from tickets.sla_config import policy_for

from .conftest import at, make_policy

M = timedelta(minutes=1)
H = timedelta(hours=1)
pytestmark = pytest.mark.django_db


def events(incident, action=None):
    qs = TicketEvent.objects.filter(ticket_kind="incident", ticket_id=incident.pk).order_by("seq")
    return list(qs.filter(action=action) if action else qs)


def clocks(incident):
    return {c.target: c for c in SLAClock.objects.filter(ticket_kind="incident", ticket_id=incident.pk)}


def level_one(operator, org, now, **kw):
    return incident_create(actor=operator, organization=org, title="Core network down", impact="high",
                           urgency="high", now=now, **kw)


def test_clocks_follow_the_incident_life(org_a, operator, people, now):
    eng, lead = people["engineer"], people["dispatcher"]
    inc = level_one(operator, org_a, now)
    c = clocks(inc)
    assert set(c) == {"respond", "onsite", "restore", "resolve", "progress"}
    assert c["respond"].due_at == now + 15 * M and inc.respond_due == now + 15 * M
    assert [w["pct"] for w in c["respond"].warnings] == [50, 75, 90]
    assert c["respond"].next_check_at == now + 7.5 * M
    assert c["progress"].warnings == [] and c["progress"].due_at == now + H
    assert inc.sla_next_due == now + 15 * M
    incident_transition(incident_id=inc.pk, actor=lead, action="assign", payload={"assignee": eng.pk}, now=now)
    inc = incident_transition(incident_id=inc.pk, actor=eng, action="accept", now=now + 5 * M)
    c = clocks(inc)
    assert (c["respond"].state, c["respond"].met_at, c["respond"].next_check_at) == ("met", now + 5 * M, None)
    assert inc.sla_next_due == now + H  # onsite and progress, both an hour
    inc = incident_transition(incident_id=inc.pk, actor=eng, action="arrive", now=now + 30 * M)
    assert clocks(inc)["onsite"].state == "met"
    inc = incident_transition(incident_id=inc.pk, actor=eng, action="restore", payload={"workaround": "spare"},
                              now=now + 2 * H)
    c = clocks(inc)
    assert c["restore"].state == "met" and c["progress"].state == "met"
    inc = incident_transition(incident_id=inc.pk, actor=eng, action="resolve",
                              payload={"cause_category": "hardware", "resolution": "PSU"}, now=now + 3 * H)
    c = clocks(inc)
    assert c["resolve"].state == "met"
    assert c["report"].state == "running" and c["report"].due_at == now + 3 * H + timedelta(days=3)
    assert inc.sla_next_due == c["report"].due_at
    incident_sla_on_report(incident=inc, now=now + 4 * H)
    inc.refresh_from_db()
    assert clocks(inc)["report"].state == "met" and inc.sla_next_due is None
    view = incident_sla_view(incident=inc, now=now + 5 * H)
    assert [v["target"] for v in view] == ["respond", "onsite", "restore", "resolve", "progress", "report"]
    assert {v["state"] for v in view} == {"met"} and all(v["seconds_left"] is None for v in view)


def test_pending_pauses_and_resume_shifts_due_and_warnings(org_a, operator, people, now):
    eng = people["engineer"]
    inc = level_one(operator, org_a, now)
    incident_transition(incident_id=inc.pk, actor=people["dispatcher"], action="assign",
                        payload={"assignee": eng.pk}, now=now)
    incident_transition(incident_id=inc.pk, actor=eng, action="accept", now=now + M)
    before = clocks(inc)["restore"]
    inc = incident_transition(incident_id=inc.pk, actor=eng, action="pend", payload={"reason": "no access"},
                              now=now + 10 * M)
    c = clocks(inc)["restore"]
    assert (c.state, c.paused_at, c.next_check_at) == ("paused", now + 10 * M, None)
    assert inc.sla_next_due is None
    view = {v["target"]: v for v in incident_sla_view(incident=inc, now=now + 20 * M)}
    assert view["restore"]["state"] == "paused" and view["restore"]["seconds_left"] == (4 * H - 10 * M).total_seconds()
    assert sla_sweep(now=now + 5 * H).checked == 0  # paused clocks are not looked at
    inc = incident_transition(incident_id=inc.pk, actor=eng, action="resume", now=now + 70 * M)
    c = clocks(inc)["restore"]
    assert c.state == "running" and c.paused_at is None
    assert c.due_at == before.due_at + H
    assert [w["at"] for w in c.warnings] == [(timezone.datetime.fromisoformat(w["at"]) + H).isoformat()
                                             for w in before.warnings]
    assert inc.restore_due == c.due_at and inc.sla_next_due == now + H + H  # onsite/progress moved by the pause


def test_business_pause_counts_business_time(org_a, operator, people):
    fri = at(2025, 6, 13, 10)
    inc = incident_create(actor=operator, organization=org_a, title="Printer", impact="medium", urgency="medium",
                          now=fri)
    eng = people["engineer"]
    incident_transition(incident_id=inc.pk, actor=people["dispatcher"], action="assign",
                        payload={"assignee": eng.pk}, now=fri)
    incident_transition(incident_id=inc.pk, actor=eng, action="accept", now=fri)
    incident_transition(incident_id=inc.pk, actor=eng, action="pend", payload={"reason": "x"}, now=at(2025, 6, 13, 17))
    inc = incident_transition(incident_id=inc.pk, actor=eng, action="resume", now=at(2025, 6, 16, 9, 30))
    assert clocks(inc)["restore"].due_at == at(2025, 6, 18, 14, 30) == inc.restore_due  # +1.5 business hours


def test_level_change_recomputes_from_the_original_start(org_a, operator, people, now):
    inc = incident_create(actor=operator, organization=org_a, title="Cam", impact="medium", urgency="medium", now=now)
    assert "progress" not in clocks(inc)
    inc = incident_update(incident_id=inc.pk, actor=people["dispatcher"], version=None,
                          changes={"fault_level": "I", "level_reason": "hospital"}, now=now + 5 * M)
    c = clocks(inc)
    assert c["respond"].started_at == inc.reported_at and c["respond"].due_at == inc.reported_at + 15 * M
    assert c["progress"].due_at == inc.reported_at + H
    updated = events(inc, "updated")[-1]
    assert updated.data["changes"]["respond_due"][1] == (inc.reported_at + 15 * M).isoformat()
    assert events(inc, "notified")[-1].data["event"] == "incident.major"
    inc = incident_update(incident_id=inc.pk, actor=people["dispatcher"], version=None,
                          changes={"fault_level": "IV", "level_reason": "false alarm"}, now=now + 6 * M)
    c = clocks(inc)
    assert "onsite" not in c and "progress" not in c and inc.onsite_due is None


def test_warnings_breach_and_escalation_in_order(org_a, operator, people, contact, inapp_rules, now):
    make_policy(targets={"I": {"respond": 10 * M}}, step=30 * M)
    inc = level_one(operator, org_a, now, contact=contact)
    incident_transition(incident_id=inc.pk, actor=people["dispatcher"], action="assign",
                        payload={"assignee": people["engineer"].pk, "group": people["group"].pk}, now=now)
    fired = []
    for minutes in (4, 5, 7.5, 9, 9.5, 10, 12, 40, 70, 100, 130, 200):
        with time_machine.travel(now + minutes * M, tick=False):
            s = sla_sweep(now=timezone.now())
            fired.append((minutes, s.warnings, s.breaches, s.escalations))
    assert [(w.data["target"], w.data["pct"]) for w in events(inc, "sla_warning")] == [
        ("respond", 50), ("respond", 75), ("respond", 90)]
    assert [b.data["target"] for b in events(inc, "sla_breach")] == ["respond"]
    esc = events(inc, "escalated")
    assert [e.data["level"] for e in esc] == [1, 2, 3, 4]  # breach at 10 min, then every 30 min
    assert esc[0].data["recipients"] == [{"kind": "group_lead", "user": people["group_lead"].pk}]
    assert {r["user"] for r in esc[1].data["recipients"]} == {people["regional"].pk}
    assert people["pm"].pk in {r["user"] for r in esc[2].data["recipients"]}
    assert esc[3].data["recipients"][0]["kind"] == "customer_contact"
    inc.refresh_from_db()
    assert inc.escalation_level == 4
    order = [e.action for e in events(inc) if e.action in ("sla_warning", "sla_breach", "escalated")]
    assert order == ["sla_warning"] * 3 + ["sla_breach", "escalated", "escalated", "escalated", "escalated"]
    assert clocks(inc)["respond"].next_check_at is None
    assert incident_sla_filter(Incident.objects.all(), "breached").filter(pk=inc.pk).exists()


def test_escalation_follows_the_organisations_chain(org_a, operator, people, inapp_rules, now):
    make_policy(targets={"I": {"respond": 10 * M, "onsite": 20 * M}})
    EscalationStep.objects.create(organization=org_a, level=1, recipient="user", user=people["pm"])
    EscalationStep.objects.create(organization=org_a, level=2, recipient="role", role="dispatcher")
    inc = level_one(operator, org_a, now)
    sla_sweep(now=now + 15 * M)
    sla_sweep(now=now + 25 * M)
    esc = events(inc, "escalated")
    assert [(e.data["level"], e.data["target"]) for e in esc] == [(1, "respond"), (2, "onsite")]
    assert esc[0].data["recipients"] == [{"kind": "user", "user": people["pm"].pk}]
    assert esc[1].data["recipients"] == [{"kind": "role", "role": "dispatcher", "user": people["dispatcher"].pk}]


def test_sweep_twice_gives_one_event_each(org_a, operator, people, inapp_rules, now, django_capture_on_commit_callbacks):
    make_policy(targets={"I": {"respond": 10 * M}})
    inc = level_one(operator, org_a, now)
    incident_transition(incident_id=inc.pk, actor=people["dispatcher"], action="assign",
                        payload={"assignee": people["engineer"].pk}, now=now)
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            sla_sweep(now=now + 6 * M)
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            sla_sweep(now=now + 11 * M)
    # 50 % on time; 75 and 90 % passed between the sweeps: recorded late, once (issue #11 finding 10)
    assert [(w.data["pct"], w.data["late"]) for w in events(inc, "sla_warning")] == [(50, False), (75, True),
                                                                                    (90, True)]
    assert len(events(inc, "sla_breach")) == 1
    assert len(events(inc, "escalated")) == 1
    assert Delivery.objects.filter(event="sla.warning").count() == 1
    assert Delivery.objects.filter(event="sla.breach").count() == 1


def test_met_clock_is_never_breached(org_a, operator, people, now):
    make_policy(targets={"I": {"respond": 10 * M}})
    inc = level_one(operator, org_a, now)
    incident_transition(incident_id=inc.pk, actor=people["dispatcher"], action="assign",
                        payload={"assignee": people["engineer"].pk}, now=now)
    incident_transition(incident_id=inc.pk, actor=people["engineer"], action="accept", now=now + 11 * M)
    assert sla_sweep(now=now + 12 * M).breaches == 0
    assert not events(inc, "sla_breach")


def test_progress_reminders_roll_until_restored(org_a, operator, people, inapp_rules, now):
    make_policy(targets={"I": {"progress": 10 * M}})
    inc = level_one(operator, org_a, now)
    eng = people["engineer"]
    incident_transition(incident_id=inc.pk, actor=people["dispatcher"], action="assign",
                        payload={"assignee": eng.pk}, now=now)
    incident_transition(incident_id=inc.pk, actor=eng, action="accept", now=now)
    assert sla_sweep(now=now + 11 * M).reminders == 1
    assert clocks(inc)["progress"].due_at == now + 20 * M
    incident_sla_on_progress(incident=inc, now=now + 15 * M)
    assert clocks(inc)["progress"].due_at == now + 25 * M
    assert sla_sweep(now=now + 21 * M).reminders == 0
    assert sla_sweep(now=now + 60 * M).reminders == 1  # one reminder however long the sweep was away
    assert clocks(inc)["progress"].due_at == now + 65 * M
    incident_transition(incident_id=inc.pk, actor=eng, action="restore", payload={"workaround": "x"}, now=now + 61 * M)
    assert sla_sweep(now=now + 200 * M).reminders == 0
    reminders = [e for e in events(inc, "progress") if e.data.get("reminder")]
    assert len(reminders) == 2 and not events(inc, "escalated")


def test_overdue_report_escalates(make_incident, org_a, people, now):
    make_policy(targets={"III": {"report": 30 * M}})
    inc = make_incident(organization=org_a, status="resolved")
    assert clocks(inc)["report"].due_at == inc.resolved_at + 30 * M
    s = sla_sweep(now=now + 31 * M)
    assert (s.breaches, s.escalations) == (1, 1)
    assert events(inc, "sla_breach")[-1].data["target"] == "report"


def test_reopen_restarts_restore_and_resolve(make_incident, org_a, people, now):
    inc = make_incident(organization=org_a, status="observing", impact="high", urgency="high")
    inc = incident_recurrence(incident_id=inc.pk, actor=people["dispatcher"], now=now + H)
    c = clocks(inc)
    assert inc.status == "in_progress" and events(inc, "transition")[-1].data["reason"] == "recurrence"
    assert c["restore"].started_at == now + H and c["restore"].due_at == now + 5 * H and c["restore"].state == "running"
    assert c["resolve"].due_at == now + 25 * H == inc.resolve_due
    assert c["report"].state == "paused"
    assert c["respond"].state == "met"


def test_observation_ends_and_the_incident_closes_itself(make_incident, org_a, now):
    inc = make_incident(organization=org_a, status="observing")
    assert sla_sweep(now=now + timedelta(days=6)).closed == 0
    assert sla_sweep(now=now + timedelta(days=7, minutes=1)).closed == 1
    assert sla_sweep(now=now + timedelta(days=7, minutes=2)).closed == 0
    inc.refresh_from_db()
    assert inc.status == "closed"
    assert events(inc, "transition")[-1].actor.username == "opsdesk-system"


def test_cancel_freezes_every_clock(make_incident, org_a, now):
    inc = make_incident(organization=org_a, status="cancelled")
    assert {c.state for c in clocks(inc).values()} == {"paused"}
    assert Incident.objects.get(pk=inc.pk).sla_next_due is None


def test_policy_per_organisation_and_unconfirmed_years(org_a, org_b, now):
    make_policy(name="A", organization=org_a, targets={"I": {"respond": 5 * M}})
    cal = WorkCalendar.objects.get(code="test-cal")
    CalendarYear.objects.create(calendar=cal, year=now.year, confirmed=True)
    assert policy_for(organization_id=org_a.pk, now=now).spec("I", "respond").duration == 5 * M
    assert policy_for(organization_id=org_b.pk, now=now).spec("I", "respond").duration == 15 * M  # code default
    assert now.year + 1 in policy_for(organization_id=org_a.pk, now=now).unconfirmed_years
    assert now.year not in policy_for(organization_id=org_a.pk, now=now).unconfirmed_years


def test_calendar_sync_command(db):
    cal = WorkCalendar.objects.create(code="cn-default", name="CN")
    CalendarDay.objects.create(calendar=cal, date=timezone.datetime(2026, 2, 14).date(), kind="holiday",
                               source="admin", name="our own rule")
    call_command("sla_calendar_sync", "--years", "2026", "2027")
    y = {r.year: r.confirmed for r in CalendarYear.objects.filter(calendar=cal)}
    assert y == {2026: True, 2027: False}
    days = {d.date.isoformat(): (d.kind, d.source) for d in CalendarDay.objects.filter(calendar=cal)}
    assert days["2026-02-17"] == ("holiday", "official")  # Spring Festival
    assert days["2026-02-28"] == ("workday", "official")  # 调休 Saturday
    assert days["2026-02-14"] == ("holiday", "admin")  # an admin's row is kept
    assert not [d for d in days if d.startswith("2027")]
    policy = policy_for(organization_id=None, now=timezone.datetime(2026, 2, 1, tzinfo=timezone.UTC))
    assert policy.calendar.day_length(timezone.datetime(2026, 2, 17).date()) == timedelta(0)
    assert 2027 in policy.unconfirmed_years
