"""The set-based sweep: several clocks of one incident in the same chunk chain their events onto
each other and climb one escalation level per breach up to 4; a clock that changed after the
sweep read it is lost without skewing the incident's other steps; a chunk's notifications go out
as one task message after commit; two sweeps at once still do everything once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

import incidents.sla.sweep as engine
from incidents.models import Incident
from incidents.services import incident_create, incident_transition
from incidents.sla import sla_sweep
from tickets.audit import chain_verify
from tickets.models import SLAClock, TicketEvent

from .conftest import in_thread, make_policy

M = timedelta(minutes=1)
ALL_FOUR = {"respond": 10 * M, "onsite": 10 * M, "restore": 10 * M, "resolve": 10 * M}


def events(incident, action=None):
    qs = TicketEvent.objects.filter(ticket_kind="incident", ticket_id=incident.pk).order_by("seq")
    return list(qs.filter(action=action) if action else qs)


def assigned_incident(operator, org, people, now, *, level: int = 0, title: str = "Core down") -> Incident:
    inc = incident_create(actor=operator, organization=org, title=title, impact="high", urgency="high", now=now)
    inc = incident_transition(incident_id=inc.pk, actor=people["dispatcher"], action="assign",
                              payload={"assignee": people["engineer"].pk, "group": people["group"].pk}, now=now)
    if level:
        Incident.objects.filter(pk=inc.pk).update(escalation_level=level)
    return inc


@pytest.mark.django_db
@pytest.mark.parametrize(("level", "climbs"), [(0, [1, 2, 3, 4]), (2, [3, 4]), (4, [])])
def test_several_breaches_of_one_incident_in_one_chunk(org_a, operator, people, now, level, climbs):
    make_policy(targets={"I": ALL_FOUR}, thresholds=[50])
    inc = assigned_incident(operator, org_a, people, now, level=level)
    other = assigned_incident(operator, org_a, people, now, title="Other")
    summary = sla_sweep(now=now + 11 * M)
    assert (summary.checked, summary.breaches, summary.lost) == (8, 8, 0)
    assert [e.data["target"] for e in events(inc, "sla_breach")] == ["respond", "onsite", "restore", "resolve"]
    escalated = events(inc, "escalated")
    assert [(e.data["from"], e.data["level"]) for e in escalated] == [(c - 1, c) for c in climbs]
    assert [e.data["target"] for e in escalated] == ["respond", "onsite", "restore", "resolve"][:len(climbs)]
    # Each escalation follows its breach on the timeline.
    order = [(e.action, e.data["target"]) for e in events(inc) if e.action in ("sla_breach", "escalated")]
    for target in [e.data["target"] for e in escalated]:
        assert order[order.index(("sla_breach", target)) + 1] == ("escalated", target)
    inc.refresh_from_db()
    assert inc.escalation_level == (climbs[-1] if climbs else level)
    assert inc.audit_seq == events(inc)[-1].seq
    assert list(chain_verify(ticket_model=Incident, ticket_ids=[inc.pk, other.pk])) == []
    # Clocks that did not climb (already at the top) do not count an escalation.
    escalations = {c.target: c.escalations for c in SLAClock.objects.filter(ticket_kind="incident",
                                                                           ticket_id=inc.pk)}
    assert sum(escalations.values()) == len(climbs)
    assert sla_sweep(now=now + 12 * M).breaches == 0


@pytest.mark.django_db
def test_warning_breach_and_reminder_of_one_incident_chain(org_a, operator, people, now):
    make_policy(targets={"I": {"respond": 10 * M, "onsite": 40 * M, "progress": 10 * M}}, thresholds=[50])
    inc = assigned_incident(operator, org_a, people, now)
    accepted = assigned_incident(operator, org_a, people, now, title="Accepted")
    accepted = incident_transition(incident_id=accepted.pk, actor=people["engineer"], action="accept", now=now + M)
    assert accepted.sla_next_due == now + 10 * M  # the progress update
    summary = sla_sweep(now=now + 21 * M)
    # respond's 50 % warning was missed (late) before its breach (issue #11 finding 10)
    assert (summary.warnings, summary.breaches, summary.reminders, summary.escalations) == (3, 1, 2, 1)
    # Oldest check first: respond (warning instant 5 min), progress (10 min), onsite (20 min).
    assert [(e.action, e.data.get("target")) for e in events(inc) if e.action in (
        "sla_warning", "sla_breach", "escalated", "progress")] == [
        ("sla_warning", "respond"), ("sla_breach", "respond"), ("escalated", "respond"), ("progress", None),
        ("sla_warning", "onsite")]
    for each in (inc, accepted):
        clock = SLAClock.objects.get(ticket_kind="incident", ticket_id=each.pk, target="progress")
        assert (clock.started_at, clock.due_at, clock.next_check_at) == (now + 20 * M, now + 30 * M, now + 30 * M)
    accepted.refresh_from_db()
    assert accepted.sla_next_due == now + 30 * M  # the rolled progress clock is the nearest now
    inc.refresh_from_db()
    assert inc.sla_next_due == now + 10 * M  # the breached respond target is still unmet
    assert list(chain_verify(ticket_model=Incident, ticket_ids=[inc.pk, accepted.pk])) == []


@pytest.mark.django_db
def test_a_clock_met_after_the_read_is_lost_and_the_others_are_planned_without_it(
        org_a, operator, people, now, monkeypatch):
    make_policy(targets={"I": ALL_FOUR}, thresholds=[])
    inc = assigned_incident(operator, org_a, people, now, level=3)
    at = now + 11 * M
    read = engine.clocks_due

    def read_then_accept(**kwargs):
        due = read(**kwargs)  # the sweep has read all four clocks; now the engineer accepts
        incident_transition(incident_id=inc.pk, actor=people["engineer"], action="accept", now=at)
        return due

    monkeypatch.setattr(engine, "clocks_due", read_then_accept)
    summary = sla_sweep(now=at)
    assert (summary.lost, summary.breaches, summary.escalations) == (1, 3, 1)
    assert [e.data["target"] for e in events(inc, "sla_breach")] == ["onsite", "restore", "resolve"]
    # The lost respond breach would have climbed to 4; onsite climbs instead.
    assert [(e.data["level"], e.data["target"]) for e in events(inc, "escalated")] == [(4, "onsite")]
    assert SLAClock.objects.get(ticket_kind="incident", ticket_id=inc.pk, target="respond").state == "met"
    assert list(chain_verify(ticket_model=Incident, ticket_ids=[inc.pk])) == []


@pytest.mark.django_db
def test_a_chunks_notifications_are_one_task_message(org_a, operator, people, now, monkeypatch,
                                                     django_capture_on_commit_callbacks):
    make_policy(targets={"I": {"respond": 10 * M}}, thresholds=[50])
    incidents = [assigned_incident(operator, org_a, people, now, title=f"Down {i}") for i in range(5)]
    sent: list[list[dict]] = []
    monkeypatch.setattr(engine, "_queue_notifications", sent.append)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        sla_sweep(now=now + 11 * M, chunk=3)
    assert len(callbacks) == 2 and len(sent) == 2  # chunks of 3 + 2 clocks
    assert sorted(p["event"] for batch in sent for p in batch) == ["escalation"] * 5 + ["sla.breach"] * 5
    assert len({p["dedup_key"] for batch in sent for p in batch}) == 10
    assert list(chain_verify(ticket_model=Incident, ticket_ids=[i.pk for i in incidents])) == []


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_with_several_clocks_per_incident(org_a, operator, people, now):
    make_policy(targets={"I": ALL_FOUR}, thresholds=[50])
    incidents = [assigned_incident(operator, org_a, people, now, level=2, title=f"Down {i}") for i in range(4)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def sweep(when):
        def body():
            barrier.wait(timeout=10)
            try:
                sla_sweep(now=when, chunk=5)
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)
        return in_thread(body)

    for when in (now + 6 * M, now + 11 * M):
        threads = [threading.Thread(target=sweep(when)) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    assert not errors, errors
    for inc in incidents:
        assert len(events(inc, "sla_warning")) == 4
        assert len(events(inc, "sla_breach")) == 4
        assert [e.data["level"] for e in events(inc, "escalated")] == [3, 4]
        inc.refresh_from_db()
        assert inc.escalation_level == 4
    assert list(chain_verify(ticket_model=Incident, ticket_ids=[i.pk for i in incidents])) == []
