"""Issue #11 finding 5: the chain is keyed (HMAC, key outside the database, key ids for rotation,
legacy plain SHA-256 events still verify), and the rows people see are checked against the events
that wrote them. Each test here failed against the plain SHA-256 chain."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from incidents.models import Incident
from incidents.services import incident_update
from tickets.audit import BreakCategory, ChainBreak, audit_keys, chain_verify, event_digest
from tickets.models import Comment, TicketEvent, WorkLog
from tickets.services import ticket_comment_add, ticket_worklog_add


def events_of(ticket: Any) -> list[TicketEvent]:
    return list(TicketEvent.objects.filter(ticket_kind=ticket.KIND, ticket_id=ticket.pk).order_by("seq"))


def breaks(**kwargs: Any) -> list[ChainBreak]:
    return list(chain_verify(ticket_model=Incident, **kwargs))


def rechain(incident: Incident, *, start: int, edit: dict[int, dict[str, Any]] | None = None,
            key: bytes | None = None, key_id: str | None = None) -> None:
    """What a forger with database access does: change events, recompute every hash from `start`
    with the given key (None: plain SHA-256, all a forger without the key can do), move the head."""
    edit = edit or {}
    events = events_of(incident)
    prev = events[start - 2].hash if start > 1 else ""
    for ev in events[start - 1:]:
        data = edit.get(ev.seq, ev.data)
        new_key_id = ev.key_id if key_id is None else key_id
        digest = event_digest(ticket_kind="incident", ticket_id=incident.pk, seq=ev.seq, actor_id=ev.actor_id,
                              action=ev.action, data=data, public=ev.public, created_at=ev.created_at,
                              prev_hash=prev, key=key)
        TicketEvent.objects.filter(pk=ev.pk).update(data=data, prev_hash=prev, hash=digest, key_id=new_key_id)
        prev = digest
    Incident.objects.filter(pk=incident.pk).update(audit_head=prev)


@pytest.fixture
def incident(make_incident, org_a, engineer, now):
    inc = make_incident(organization=org_a, status="in_progress", assignee=engineer)
    ticket_comment_add(ticket=inc, author=engineer, body="replaced the camera PSU", public=True, now=now)
    ticket_worklog_add(ticket=inc, author=engineer, minutes=45, note="on site", work_date=None, now=now)
    inc.refresh_from_db()
    return inc


@pytest.mark.django_db
def test_forger_without_the_key_cannot_recompute_the_chain(incident):
    """Rewrite event 2 and recompute the whole chain with plain SHA-256, head included: under the
    old plain chain this verified clean."""
    ev = events_of(incident)[1]
    rechain(incident, start=2, edit={2: {**ev.data, "reason": "never happened"}})
    found = breaks()
    assert found and found[0].category == BreakCategory.EVENT_ALTERED
    assert (found[0].ticket_id, found[0].event_id, found[0].seq) == (incident.pk, ev.pk, 2)


@pytest.mark.django_db
def test_forger_cannot_downgrade_events_to_legacy(incident):
    """Relabelling the rewritten tail as legacy (key_id "") is refused: unkeyed after keyed."""
    ev = events_of(incident)[1]
    rechain(incident, start=2, edit={2: {**ev.data, "reason": "x"}}, key_id="")
    found = breaks()
    assert found and found[0].event_id == ev.pk and "unkeyed event after keyed" in found[0].reason


@pytest.mark.django_db
def test_legacy_plain_events_still_verify_and_are_sealed_by_the_next_keyed_event(incident, engineer, now):
    # The history as it was before this change: every event plain SHA-256, key_id "".
    rechain(incident, start=1, key=None, key_id="")
    assert breaks() == []
    # The next write is keyed and covers the legacy head through its prev_hash.
    ticket_comment_add(ticket=incident, author=engineer, body="after the upgrade", public=False,
                       now=now + timedelta(minutes=5))
    assert breaks() == []
    first_keyed = events_of(incident)[-1]
    assert first_keyed.key_id == audit_keys()[0]
    # Rewriting a legacy event now breaks the link from the first keyed event.
    legacy = events_of(incident)[:-1]
    edited = {2: {**legacy[1].data, "reason": "rewritten"}}
    events = events_of(incident)
    prev = events[0].hash
    for ev in legacy[1:]:
        data = edited.get(ev.seq, ev.data)
        digest = event_digest(ticket_kind="incident", ticket_id=incident.pk, seq=ev.seq, actor_id=ev.actor_id,
                              action=ev.action, data=data, public=ev.public, created_at=ev.created_at, prev_hash=prev)
        TicketEvent.objects.filter(pk=ev.pk).update(data=data, prev_hash=prev, hash=digest)
        prev = digest
    found = breaks()
    assert [(b.event_id, b.category) for b in found] == [(first_keyed.pk, BreakCategory.CHAIN_BROKEN)]


@pytest.mark.django_db
def test_key_rotation_keeps_old_events_verifiable(incident, engineer, now, settings):
    settings.AUDIT_HMAC_KEY, settings.AUDIT_HMAC_KEY_ID = "first-secret", "k1"
    ticket_comment_add(ticket=incident, author=engineer, body="signed by k1", public=False, now=now)
    settings.AUDIT_HMAC_KEY, settings.AUDIT_HMAC_KEY_ID = "second-secret", "k2"
    settings.AUDIT_HMAC_OLD_KEYS = ["k1:first-secret"]
    ticket_comment_add(ticket=incident, author=engineer, body="signed by k2", public=False, now=now)
    assert [e.key_id for e in events_of(incident)][-2:] == ["k1", "k2"]
    assert breaks() == []
    settings.AUDIT_HMAC_OLD_KEYS = []  # k1 forgotten: its event cannot be checked, and says so
    found = breaks()
    assert len(found) == 1 and "'k1'" in found[0].reason and found[0].category == BreakCategory.EVENT_ALTERED
    settings.AUDIT_HMAC_OLD_KEYS = ["k1:a-different-secret"]  # the wrong key: altered
    assert [b.category for b in breaks()] == [BreakCategory.EVENT_ALTERED]


@pytest.mark.django_db
def test_derived_key_survives_secret_key_rotation_through_fallbacks(incident, engineer, now, settings):
    settings.AUDIT_HMAC_KEY = ""
    old_id = audit_keys()[0]
    assert old_id.startswith("sk-")
    ticket_comment_add(ticket=incident, author=engineer, body="derived key", public=False, now=now)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-brand-new-secret-key-for-this-test-0123456789"
    assert audit_keys()[0] != old_id
    assert breaks() == []


# --- rows against their events ------------------------------------------------------------------

def row_breaks() -> list[ChainBreak]:
    return [b for b in breaks() if b.category == BreakCategory.ROW_DIFFERS]


@pytest.mark.django_db
def test_comment_body_edited_in_sql_is_caught(incident):
    comment = Comment.objects.get(ticket_kind="incident", ticket_id=incident.pk)
    assert breaks() == []
    with connection.cursor() as cursor:
        cursor.execute("UPDATE tickets_comment SET body = %s WHERE id = %s", ["nothing was replaced", comment.pk])
    found = breaks()
    assert len(found) == 1
    event = TicketEvent.objects.get(ticket_kind="incident", ticket_id=incident.pk, action="comment")
    assert (found[0].category, found[0].record, found[0].event_id) == (
        BreakCategory.ROW_DIFFERS, f"comment {comment.pk}", event.pk)
    assert "body" in found[0].reason


@pytest.mark.django_db
def test_comment_made_public_or_private_is_caught(incident):
    Comment.objects.filter(ticket_kind="incident", ticket_id=incident.pk).update(public=False)
    assert [b.reason for b in row_breaks()] == ["public differ(s) from what the event recorded"]


@pytest.mark.django_db
def test_worklog_minutes_edited_is_caught(incident):
    log = WorkLog.objects.get(ticket_kind="incident", ticket_id=incident.pk)
    WorkLog.objects.filter(pk=log.pk).update(minutes=480)
    assert [b.record for b in row_breaks()] == [f"worklog {log.pk}"]


@pytest.mark.django_db
def test_rows_without_their_event_or_events_without_their_row(incident, engineer, now):
    sneaked = Comment.objects.create(ticket_kind="incident", ticket_id=incident.pk, author=engineer,
                                     body="backdated excuse", public=True, created_at=now - timedelta(days=3))
    assert [(b.record, b.event_id) for b in row_breaks()] == [(f"comment {sneaked.pk}", None)]
    Comment.objects.filter(pk=sneaked.pk).delete()
    WorkLog.objects.filter(ticket_kind="incident", ticket_id=incident.pk).delete()
    found = row_breaks()
    assert len(found) == 1 and "gone" in found[0].reason and found[0].record.startswith("worklog ")


@pytest.mark.django_db
def test_title_status_and_fault_level_are_checked_against_the_latest_events(incident, engineer, now):
    incident_update(incident_id=incident.pk, actor=engineer, version=None, now=now,
                    changes={"title": "Camera 7 offline", "fault_level": "II", "level_reason": "whole floor"})
    assert breaks() == []
    Incident.objects.filter(pk=incident.pk).update(title="Camera offline (customer error)")
    Incident.objects.filter(pk=incident.pk).update(status="resolved")
    Incident.objects.filter(pk=incident.pk).update(fault_level="IV")
    found = row_breaks()
    assert sorted(b.record for b in found) == sorted(
        f"incident {incident.pk} {name}" for name in ("title", "status", "fault_level"))
    by_field = {b.record.rsplit(" ", 1)[1]: b for b in found}
    assert "'Camera 7 offline'" in by_field["title"].reason
    assert "'in_progress'" in by_field["status"].reason


def run_command(*args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("verify_audit", *args, stdout=out, stderr=out, no_color=True)
    except CommandError as exc:
        return exc.returncode, out.getvalue() + str(exc)
    return 0, out.getvalue()


@pytest.mark.django_db
def test_command_reports_each_kind_of_break(incident, make_incident, org_a):
    other = make_incident(organization=org_a, status="assigned")
    third = make_incident(organization=org_a, status="assigned")
    events = events_of(incident)
    TicketEvent.objects.filter(pk=events[0].pk).update(data={"title": "forged"})
    TicketEvent.objects.filter(ticket_kind="incident", ticket_id=other.pk, seq=2).update(seq=9)
    Incident.objects.filter(pk=third.pk).update(title="changed behind the log")
    code, output = run_command("--kind", "incident")
    assert code == 1
    assert f"BROKEN {incident.number}: incident {incident.pk}: event #{events[0].pk} (seq 1): [event_altered]" in output
    assert f"BROKEN {other.number}: incident {other.pk}: " in output and "[chain_broken]" in output
    assert (f"BROKEN {third.number}: incident {third.pk}: incident {third.pk} title vs event #"
            in output) and "[row_differs]" in output
