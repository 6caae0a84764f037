"""The tamper-evident event log (DESIGN.md rule 9): per-ticket hash chains, exact break reports,
no global lock between writers of different tickets, no forks under concurrent writers of one."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from incidents.models import Incident
from tickets.audit import BreakCategory, ChainBreak, audit_keys, chain_verify, event_digest, event_record
from tickets.models import ServiceRequest, TicketEvent
from tickets.services import request_create, ticket_comment_add

from .conftest import run_in_thread_db

ROOT = Path(__file__).resolve().parents[2]


def events_of(ticket: Any) -> list[TicketEvent]:
    return list(TicketEvent.objects.filter(ticket_kind=ticket.KIND, ticket_id=ticket.pk).order_by("seq"))


def breaks(model: type = Incident, **kwargs: Any) -> list[ChainBreak]:
    return list(chain_verify(ticket_model=model, **kwargs))


@pytest.fixture
def closed_incident(make_incident, org_a, engineer):
    """An incident with a history of seven events: created, assign, accept, resolve, observe, close, comment."""
    incident = make_incident(organization=org_a, status="closed", assignee=engineer)
    ticket_comment_add(ticket=incident, author=engineer, body="checked again next day", public=False,
                       now=incident.closed_at + timedelta(days=1))
    incident.refresh_from_db()
    assert incident.audit_seq == 7
    return incident


@pytest.mark.django_db
def test_events_chain_per_ticket(closed_incident):
    events = events_of(closed_incident)
    assert [e.seq for e in events] == list(range(1, 8))
    previous = ""
    key_id, ring = audit_keys()
    for e in events:
        assert e.prev_hash == previous
        assert e.key_id == key_id
        assert e.hash == event_digest(ticket_kind="incident", ticket_id=closed_incident.pk, seq=e.seq,
                                      actor_id=e.actor_id, action=e.action, data=e.data, public=e.public,
                                      created_at=e.created_at, prev_hash=previous, key=ring[key_id])
        previous = e.hash
    assert (closed_incident.audit_seq, closed_incident.audit_head) == (7, previous)
    assert breaks() == []


@pytest.mark.django_db
def test_data_of_any_json_shape_round_trips(make_incident, org_a, engineer, now):
    """What the JSON column gives back must hash like what was written (Chinese text, decimals,
    dates, microseconds, nesting, floats)."""
    incident = make_incident(organization=org_a)
    with transaction.atomic():
        locked = Incident.objects.select_for_update().get(pk=incident.pk)
        event_record(ticket=locked, actor=engineer, action="updated", now=now.replace(microsecond=123456), data={
            "备注": "机房空调故障，温度 35℃", "amount": Decimal("12.50"), "day": date(2024, 2, 29), "at": now, "nested": {"list": [1, 2.5, None, True, "x"]}, "big": 2**53 + 1,
        })
    assert breaks() == []


def tamper_field(field: str, value: Any):
    def apply(incident: Incident, events: list[TicketEvent]) -> None:
        TicketEvent.objects.filter(pk=events[2].pk).update(**{field: value(events[2])})
    return apply


def rehash_third(incident: Incident, events: list[TicketEvent]) -> None:
    """A forger who has the key changes event 3 and recomputes its hash: the link to event 4 breaks."""
    ev = events[2]
    data = {**ev.data, "action": "accept", "note": "never happened"}
    digest = event_digest(ticket_kind="incident", ticket_id=incident.pk, seq=ev.seq, actor_id=ev.actor_id,
                          action=ev.action, data=data, public=ev.public, created_at=ev.created_at,
                          prev_hash=ev.prev_hash, key=audit_keys()[1][ev.key_id])
    TicketEvent.objects.filter(pk=ev.pk).update(data=data, hash=digest)


# name -> (how to tamper, index of the event named in the break or None for the ticket head, reason)
TAMPERING = {
    "data": (tamper_field("data", lambda e: {**e.data, "action": "cancel"}), 2, "altered"),
    "key-id": (tamper_field("key_id", lambda e: "k-unknown"), 2, "not configured"),
    "actor": (tamper_field("actor_id", lambda e: None), 2, "altered"),
    "time": (tamper_field("created_at", lambda e: e.created_at - timedelta(hours=2)), 2, "altered"),
    "public": (tamper_field("public", lambda e: not e.public), 2, "altered"),
    "action": (tamper_field("action", lambda e: "comment"), 2, "altered"),
    "prev_hash": (tamper_field("prev_hash", lambda e: "0" * 64), 2, "prev_hash"),
    "rehashed": (rehash_third, 3, "prev_hash"),
    "deleted-middle": (lambda inc, evs: TicketEvent.objects.filter(pk=evs[2].pk).delete(), 3, "missing"),
    "deleted-last": (lambda inc, evs: TicketEvent.objects.filter(pk=evs[-1].pk).delete(), None, "head says seq 7"),
    "head-hash": (lambda inc, evs: Incident.objects.filter(pk=inc.pk).update(audit_head="f" * 64), None,
                  "head altered"),
    "head-seq": (lambda inc, evs: Incident.objects.filter(pk=inc.pk).update(audit_seq=6), None, "head says seq 6"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(TAMPERING))
def test_tampering_is_detected_and_names_the_record(name, closed_incident, make_incident, org_a):
    untouched = make_incident(organization=org_a, status="in_progress")
    tamper, index, reason = TAMPERING[name]
    events = events_of(closed_incident)
    tamper(closed_incident, events)
    found = [b for b in breaks() if b.category != BreakCategory.ROW_DIFFERS]
    if name == "deleted-last":  # the comment that event wrote is now a row no event recorded
        assert [b.record for b in breaks() if b.category == BreakCategory.ROW_DIFFERS] == [
            f"comment {events[-1].data['comment']}"]
    assert len(found) == 1, found
    brk = found[0]
    assert (brk.ticket_kind, brk.ticket_id) == ("incident", closed_incident.pk)
    if index is None:
        assert (brk.seq, brk.event_id) == (None, None)
        assert "ticket head" in str(brk)
    else:
        assert (brk.seq, brk.event_id) == (events[index].seq, events[index].pk)
        assert f"event #{events[index].pk} (seq {events[index].seq})" in str(brk)
    assert reason in brk.reason
    # Chains are independent: the other ticket still verifies, alone and in batches of one.
    assert breaks(ticket_ids=[untouched.pk]) == []
    assert [b for b in breaks(batch=1) if b.category != BreakCategory.ROW_DIFFERS] == found


@pytest.mark.django_db
def test_incident_and_request_chains_are_independent(closed_incident, org_a, operator, now):
    req = request_create(actor=operator, organization=org_a, title="VPN account", request_type="service_request",
                         now=now)
    ticket_comment_add(ticket=req, author=operator, body="sent the form", public=True, now=now)
    TicketEvent.objects.filter(ticket_kind="incident", ticket_id=closed_incident.pk, seq=1).update(data={})
    assert [b.ticket_id for b in breaks()] == [closed_incident.pk]
    assert breaks(ServiceRequest) == []


# --- concurrency ---------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_writers_on_different_tickets_do_not_wait_for_each_other(make_incident, org_a, engineer, now):
    one, two = make_incident(organization=org_a), make_incident(organization=org_a)
    first_holds_lock, second_committed = threading.Event(), threading.Event()
    seen: dict[str, Any] = {}

    def first() -> None:
        with transaction.atomic():
            ticket_comment_add(ticket=one, author=engineer, body="first", public=False, now=now)
            first_holds_lock.set()  # ticket one's row stays locked until this block ends
            seen["second_committed_meanwhile"] = second_committed.wait(timeout=15)

    def second() -> None:
        assert first_holds_lock.wait(timeout=15)
        ticket_comment_add(ticket=two, author=engineer, body="second", public=False, now=now)  # commits here
        second_committed.set()

    threads = [threading.Thread(target=run_in_thread_db(f)) for f in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert seen == {"second_committed_meanwhile": True}
    assert [len(events_of(t)) for t in (one, two)] == [2, 2]
    assert breaks() == []


@pytest.mark.django_db(transaction=True)
def test_a_writer_on_the_same_ticket_waits_for_the_lock(make_incident, org_a, engineer, now):
    """The control for the test above: the same two threads on ONE ticket do wait."""
    one = make_incident(organization=org_a)
    first_holds_lock, second_committed, release = threading.Event(), threading.Event(), threading.Event()

    def first() -> None:
        with transaction.atomic():
            ticket_comment_add(ticket=one, author=engineer, body="first", public=False, now=now)
            first_holds_lock.set()
            release.wait(timeout=15)

    def second() -> None:
        assert first_holds_lock.wait(timeout=15)
        ticket_comment_add(ticket=one, author=engineer, body="second", public=False, now=now)
        second_committed.set()

    threads = [threading.Thread(target=run_in_thread_db(f)) for f in (first, second)]
    for t in threads:
        t.start()
    assert first_holds_lock.wait(timeout=15)
    assert not second_committed.wait(timeout=1.5)  # blocked on ticket one's row lock
    release.set()
    for t in threads:
        t.join(timeout=30)
    assert second_committed.is_set()
    assert [e.seq for e in events_of(one)] == [1, 2, 3]
    assert breaks() == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_on_one_ticket_serialise_without_forking(make_incident, org_a, engineer, other_engineer,
                                                                   now):
    incident = make_incident(organization=org_a)
    per_thread = 15
    start = threading.Barrier(2)
    errors: list[Exception] = []

    def writer(author: Any) -> None:
        try:
            start.wait(timeout=15)
            for i in range(per_thread):
                ticket_comment_add(ticket=incident, author=author, body=f"{author.username} {i}", public=False,
                                   now=now)
        except Exception as exc:  # noqa: BLE001 - any failure in the thread is reported by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=run_in_thread_db(lambda a=a: writer(a))) for a in (engineer, other_engineer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    events = events_of(incident)
    total = 1 + 2 * per_thread
    assert [e.seq for e in events] == list(range(1, total + 1))
    assert len({e.hash for e in events}) == total
    assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:], strict=False))
    incident.refresh_from_db()
    assert (incident.audit_seq, incident.audit_head) == (total, events[-1].hash)
    assert breaks() == []


# --- manage.py verify_audit ------------------------------------------------------------------------

def run_command(*args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("verify_audit", *args, stdout=out, stderr=out, no_color=True)
    except CommandError as exc:
        return exc.returncode, out.getvalue() + str(exc)
    return 0, out.getvalue()


@pytest.mark.django_db
def test_command_reports_intact_chains(closed_incident, org_a, operator, now):
    request_create(actor=operator, organization=org_a, title="VPN", request_type="service_request", now=now)
    code, output = run_command()
    incidents, events = Incident.objects.count(), TicketEvent.objects.filter(ticket_kind="incident").count()
    assert code == 0
    assert f"incident: {incidents} tickets, {events} events, 0 break(s)" in output
    assert "request: 1 tickets, 1 events, 0 break(s)" in output
    assert f"Checked {incidents + 1} tickets and {events + 1} events: all chains intact." in output


@pytest.mark.django_db
def test_command_names_each_broken_record_and_fails(closed_incident, make_incident, org_a):
    other = make_incident(organization=org_a, status="assigned")
    events = events_of(closed_incident)
    TicketEvent.objects.filter(pk=events[1].pk).update(data={"action": "cancel"})
    Incident.objects.filter(pk=other.pk).update(audit_head="0" * 64)
    code, output = run_command("--kind", "incident")
    assert code == 1
    assert (f"BROKEN {closed_incident.number}: incident {closed_incident.pk}: event #{events[1].pk} (seq 2): "
            "[event_altered] content was altered") in output
    assert f"BROKEN {other.number}: incident {other.pk}: ticket head:" in output
    assert "2 break(s) found." in output
    # Only the tickets asked for:
    code, output = run_command("--kind", "incident", "--id", str(other.pk))
    assert code == 1 and closed_incident.number not in output and "Checked 1 tickets" in output


@pytest.mark.django_db
def test_command_checks_only_the_ids_given(closed_incident, make_incident, org_a):
    fine = make_incident(organization=org_a)
    TicketEvent.objects.filter(ticket_kind="incident", ticket_id=closed_incident.pk, seq=3).delete()
    code, output = run_command("--kind", "incident", "--id", str(fine.pk), "999999")
    assert code == 0
    assert "incident 999999 does not exist" in output
    assert "Checked 1 tickets and 1 events: all chains intact." in output


@pytest.mark.django_db
def test_command_needs_a_kind_for_ids():
    code, output = run_command("--id", "1")
    assert code == 1 and "--kind" in output


@pytest.mark.django_db
def test_command_streams_in_batches(make_incident, org_a):
    """Queries grow with the number of batches, not of tickets or events: memory stays flat."""
    for _ in range(12):
        make_incident(organization=org_a, status="assigned")
    with CaptureQueriesContext(connection) as small:
        assert run_command("--kind", "incident", "--batch", "4")[0] == 0
    for _ in range(12):
        make_incident(organization=org_a, status="assigned")
    with CaptureQueriesContext(connection) as double:
        assert run_command("--kind", "incident", "--batch", "8")[0] == 0
    assert len(double.captured_queries) == len(small.captured_queries) <= 24
    assert any("DECLARE" in q["sql"] or "tickets_ticketevent" in q["sql"] for q in small.captured_queries)


@pytest.mark.django_db(transaction=True)
def test_command_exit_codes_from_the_shell(closed_incident):
    db = connection.settings_dict
    env = {**os.environ, "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"}
    cmd = [sys.executable, "manage.py", "verify_audit", "--no-color"]
    ok = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=120)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "all chains intact" in ok.stdout
    TicketEvent.objects.filter(ticket_kind="incident", ticket_id=closed_incident.pk, seq=4).update(public=False)
    broken = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=120)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert f"BROKEN {closed_incident.number}" in broken.stdout
