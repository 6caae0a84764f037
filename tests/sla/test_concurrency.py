"""Two sweeps at the same instant, and a resolve racing the sweep, on real PostgreSQL connections
(transaction=True: every thread commits for real)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from incidents.services import incident_create, incident_transition
from incidents.sla import sla_sweep
from notifications.models import Delivery
from tickets.models import SLAClock, TicketEvent

from .conftest import in_thread, make_policy

M = timedelta(minutes=1)
pytestmark = pytest.mark.django_db(transaction=True)


def run_together(*bodies):
    barrier = threading.Barrier(len(bodies))
    errors: list[BaseException] = []

    def wrap(fn):
        def body():
            barrier.wait(timeout=10)
            try:
                fn()
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)
        return in_thread(body)

    threads = [threading.Thread(target=wrap(b)) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors


def count(incident, action):
    return TicketEvent.objects.filter(ticket_kind="incident", ticket_id=incident.pk, action=action).count()


def new_incidents(operator, org, people, now, n):
    out = []
    for i in range(n):
        inc = incident_create(actor=operator, organization=org, title=f"Down {i}", impact="high", urgency="high",
                              now=now)
        incident_transition(incident_id=inc.pk, actor=people["dispatcher"], action="assign",
                            payload={"assignee": people["engineer"].pk, "group": people["group"].pk}, now=now)
        out.append(inc)
    return out


def test_two_sweeps_at_once_do_everything_once(org_a, operator, people, inapp_rules, now):
    make_policy(targets={"I": {"respond": 10 * M}}, thresholds=[50])
    incidents = new_incidents(operator, org_a, people, now, 5)
    for when in (now + 6 * M, now + 11 * M):
        run_together(lambda w=when: sla_sweep(now=w), lambda w=when: sla_sweep(now=w))
    for inc in incidents:
        assert count(inc, "sla_warning") == 1
        assert count(inc, "sla_breach") == 1
        assert count(inc, "escalated") == 1
        inc.refresh_from_db()
        assert inc.escalation_level == 1
    assert Delivery.objects.filter(event="sla.warning").count() == 5
    assert Delivery.objects.filter(event="sla.breach").count() == 5
    # Level 1 of the default chain is the group lead: one in-app delivery per incident.
    assert set(Delivery.objects.filter(event="escalation").values_list("user_id", flat=True)) == {
        people["group_lead"].pk}
    assert Delivery.objects.filter(event="escalation").count() == 5


def test_resolve_racing_the_sweep_records_no_breach_after_met(org_a, operator, people, now):
    make_policy(targets={"I": {"resolve": 10 * M}}, thresholds=[])
    incidents = new_incidents(operator, org_a, people, now, 6)
    eng = people["engineer"]
    for inc in incidents:
        incident_transition(incident_id=inc.pk, actor=eng, action="accept", now=now)
    at = now + 10 * M

    def resolve_all():
        for inc in incidents:
            incident_transition(incident_id=inc.pk, actor=eng, action="resolve",
                                payload={"cause_category": "hardware", "resolution": "fixed"}, now=at)

    run_together(resolve_all, lambda: sla_sweep(now=at))
    for inc in incidents:
        clock = SLAClock.objects.get(ticket_kind="incident", ticket_id=inc.pk, target="resolve")
        assert clock.state == "met" and clock.met_at == at
        seqs = {e.action if e.action != "transition" else e.data["action"]: e.seq
                for e in TicketEvent.objects.filter(ticket_kind="incident", ticket_id=inc.pk)}
        if "sla_breach" in seqs:  # the sweep won the lock: the breach is recorded before the resolve
            assert seqs["sla_breach"] < seqs["resolve"]
    sla_sweep(now=at + M)
    assert sum(count(inc, "sla_breach") for inc in incidents) <= len(incidents)
    for inc in incidents:
        assert count(inc, "sla_breach") <= 1
