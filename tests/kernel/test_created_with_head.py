"""A new ticket and its "created" event (tickets.audit.ticket_insert_created): on PostgreSQL the id is
taken with the number (tickets.numbering.next_number_and_id) and the row is inserted with the chain's
head in it, no UPDATE after; without an id first, the ticket is inserted and the event recorded after.
Either way the chain verifies and the row's head is the event's hash (issue 19)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.models import Incident
from incidents.services import incident_create
from tickets.audit import chain_verify, ticket_insert_created
from tickets.models import TicketEvent
from tickets.numbering import next_number, next_number_and_id

pytestmark = pytest.mark.django_db


def _head(pk: int) -> tuple[int, str]:
    return Incident.objects.filter(pk=pk).values_list("audit_seq", "audit_head").get()


def test_created_incident_carries_its_head_and_verifies(operator, org_a, now):
    with CaptureQueriesContext(connection) as ctx:
        incident = incident_create(actor=operator, organization=org_a, title="with head", now=now)
    # Prepared statements are logged as "QUERY = '…' - PARAMS = …" (Django's server-side binding).
    writes = [q["sql"] for q in ctx.captured_queries if "INSERT INTO" in q["sql"] or "UPDATE " in q["sql"]]
    event = TicketEvent.objects.get(ticket_kind="incident", ticket_id=incident.pk)
    assert (event.seq, event.action, event.prev_hash) == (1, "created", "")
    assert _head(incident.pk) == (1, event.hash) == (incident.audit_seq, incident.audit_head)
    if connection.vendor == "postgresql":
        assert not any('UPDATE "incidents_incident"' in sql for sql in writes), writes
        assert sum('INSERT INTO "incidents_incident"' in sql for sql in writes) == 1, writes
    assert list(chain_verify(ticket_model=Incident, ticket_ids=[incident.pk])) == []
    # The next event chains on: the head written with the row is the one the chain continues from.
    from incidents.services import incident_update

    incident_update(incident_id=incident.pk, actor=operator, version=None, changes={"title": "renamed"}, now=now)
    assert _head(incident.pk)[0] == 2
    assert list(chain_verify(ticket_model=Incident, ticket_ids=[incident.pk])) == []


def test_without_an_id_first_the_event_follows_the_insert(operator, org_a, now):
    """The path other databases take (no id before the insert): the same row, head and event."""
    incident = Incident(number=next_number(Incident.NUMBER_PREFIX), title="no id first", organization=org_a,
                        reported_at=now, created_by=operator, fault_level="IV", impact="low", urgency="low")
    event = ticket_insert_created(ticket=incident, actor=operator, now=now, data={"title": incident.title})
    assert incident.pk is not None and event.ticket_id == incident.pk
    assert _head(incident.pk) == (1, event.hash)
    assert list(chain_verify(ticket_model=Incident, ticket_ids=[incident.pk])) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="sequences are PostgreSQL's")
def test_number_and_id_come_from_their_sequences(operator, org_a, now):
    (first, first_id), (second, second_id) = (next_number_and_id("INC", Incident) for _ in range(2))
    assert first.startswith("INC-") and second > first and second_id > first_id
    made = incident_create(actor=operator, organization=org_a, title="after", now=now)
    assert made.pk > second_id  # the ids taken are never handed out again
