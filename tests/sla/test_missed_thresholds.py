"""Issue #11 finding 10: after a worker outage the sweep records every threshold it missed, once,
marked late (the README's exactly-once promise), and only the newest is notified."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from incidents.services import incident_create, incident_transition
from incidents.sla import sla_sweep
from notifications.models import Delivery
from tickets.models import TicketEvent

from .conftest import make_policy

M = timedelta(minutes=1)
pytestmark = pytest.mark.django_db


def warnings_of(incident):
    return [(e.data["pct"], e.data["late"]) for e in TicketEvent.objects.filter(
        ticket_kind="incident", ticket_id=incident.pk, action="sla_warning").order_by("seq")]


def breaches_of(incident):
    return TicketEvent.objects.filter(ticket_kind="incident", ticket_id=incident.pk, action="sla_breach").count()


def assigned(operator, org, people, now):
    inc = incident_create(actor=operator, organization=org, title="Core network down", impact="high",
                          urgency="high", now=now)
    incident_transition(incident_id=inc.pk, actor=people["dispatcher"], action="assign",
                        payload={"assignee": people["engineer"].pk}, now=now)
    return inc


def test_a_late_sweep_records_every_threshold_passed_once(org_a, operator, people, inapp_rules, now,
                                                         django_capture_on_commit_callbacks):
    make_policy(targets={"I": {"respond": 10 * M}})  # thresholds 50/75/90 %: 5, 7.5 and 9 minutes
    with time_machine.travel(now, tick=False):
        inc = assigned(operator, org_a, people, timezone.now())
    with time_machine.travel(now + 9.5 * M, tick=False):  # no sweep ran at 5 or 7.5 minutes
        for _ in range(2):
            with django_capture_on_commit_callbacks(execute=True):
                sla_sweep(now=timezone.now())
    assert warnings_of(inc) == [(50, True), (75, True), (90, False)]
    late = TicketEvent.objects.filter(ticket_kind="incident", ticket_id=inc.pk, action="sla_warning").first()
    assert late is not None and late.data["crossed_at"].startswith((now + 5 * M).isoformat()[:19])
    assert Delivery.objects.filter(event="sla.warning").count() == 1  # the late ones are history, not news
    assert breaches_of(inc) == 0


def test_a_sweep_after_the_due_time_records_the_missed_thresholds_and_the_breach(org_a, operator, people, now):
    make_policy(targets={"I": {"respond": 10 * M}})
    inc = assigned(operator, org_a, people, now)
    sla_sweep(now=now + 6 * M)  # 50 % on time
    for _ in range(2):
        summary = sla_sweep(now=now + 30 * M)
    assert warnings_of(inc) == [(50, False), (75, True), (90, True)]
    assert breaches_of(inc) == 1
    assert summary.warnings == 0 and summary.breaches == 0


@pytest.mark.django_db(transaction=True)
def test_two_late_sweeps_at_once_record_each_threshold_once(org_a, operator, people, now):
    from .test_concurrency import run_together

    make_policy(targets={"I": {"respond": 10 * M}})
    incidents = [assigned(operator, org_a, people, now) for _ in range(3)]
    run_together(lambda: sla_sweep(now=now + 9.5 * M), lambda: sla_sweep(now=now + 9.5 * M))
    for inc in incidents:
        assert warnings_of(inc) == [(50, True), (75, True), (90, False)]
