"""A new ticket and its "created" event (tickets.audit.ticket_insert_created): on PostgreSQL the id is
taken with the number (tickets.numbering.next_number_and_id) and the row is inserted with the chain's
head in it, no UPDATE after; without an id first, the ticket is inserted and the event recorded after.
Either way the chain verifies and the row's head is the event's hash (issue 19). Every kind creates
through this one path: `assert_created_with_head` checks a kind's create (here and in the leave and
inspection tests)."""

from __future__ import annotations

import ast
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext

from changes.models import Change
from changes.services import change_create
from incidents.models import Incident
from incidents.services import incident_create
from problems.models import Problem
from problems.services import problem_create
from releases.models import Release
from releases.services import release_create
from tests.changes.conftest import ANSWERS
from tests.kernel.test_status_writers import ROOT, _python_files
from tickets.audit import chain_verify, ticket_insert_created
from tickets.models import ServiceRequest, TicketEvent
from tickets.numbering import next_number, next_number_and_id
from tickets.services import request_create

pytestmark = pytest.mark.django_db


def assert_created_with_head(model: type[Model], ticket: Any, captured: list[dict[str, str]]) -> TicketEvent:
    """`ticket` (of `model`), created while `captured` was recorded, holds its "created" event's head
    from its first write: on PostgreSQL one INSERT of its row and no UPDATE of its head; its chain
    verifies."""
    table = model._meta.db_table
    # Prepared statements are logged as "QUERY = '…' - PARAMS = …" (Django's server-side binding).
    writes = [q["sql"] for q in captured if "INSERT INTO" in q["sql"] or "UPDATE " in q["sql"]]
    event = TicketEvent.objects.get(ticket_kind=model.KIND, ticket_id=ticket.pk, action="created")
    assert (event.seq, event.prev_hash) == (1, "")
    if connection.vendor == "postgresql":
        # No UPDATE of the audit head (a search vector's refresh, say, is another matter).
        assert not any(f'UPDATE "{table}"' in sql and '"audit_head"' in sql for sql in writes), writes
        assert sum(f'INSERT INTO "{table}"' in sql for sql in writes) == 1, writes
    row = model.objects.filter(pk=ticket.pk).values_list("audit_seq", "audit_head", "number").get()
    assert row[:2] == (1, event.hash)
    assert row[2] == ticket.number == event.data["number"]
    assert list(chain_verify(ticket_model=model, ticket_ids=[ticket.pk])) == []
    return event


def _problem(actor: Any, org: Any, ci: Any, now: Any) -> Any:
    return problem_create(actor=actor, organization=org, title="Recurring link loss", ci=ci, now=now)


def _change(actor: Any, org: Any, ci: Any, now: Any) -> Any:
    start = now + timedelta(days=3)
    return change_create(actor=actor, organization=org, title="Firmware", reason="Fix", risk_answers=ANSWERS,
                         implementation_plan="Upgrade.", backout_plan="Downgrade.", test_plan="Ping.", cis=[ci],
                         planned_start=start, planned_end=start + timedelta(hours=2), now=now)


def _release(actor: Any, org: Any, ci: Any, now: Any) -> Any:
    start = now + timedelta(days=2)
    return release_create(actor=actor, organization=org, title="Platform 2.4", release_version="2.4.0",
                          planned_start=start, planned_end=start + timedelta(hours=4), now=now)


def _request(actor: Any, org: Any, ci: Any, now: Any) -> Any:
    return request_create(actor=actor, organization=org, title="New account", request_type="consultation", now=now)


def _incident(actor: Any, org: Any, ci: Any, now: Any) -> Any:
    return incident_create(actor=actor, organization=org, title="Down", ci=ci, now=now)


@pytest.mark.parametrize(("model", "create"), [
    (Incident, _incident), (Problem, _problem), (Change, _change), (Release, _release), (ServiceRequest, _request),
], ids=["incident", "problem", "change", "release", "request"])
def test_every_kind_is_created_with_its_head(model, create, manager, org_a, ci_a, now):
    with CaptureQueriesContext(connection) as ctx:
        ticket = create(manager, org_a, ci_a, now)
    assert isinstance(ticket, model)
    event = assert_created_with_head(model, ticket, ctx.captured_queries)
    assert event.actor_id == manager.pk and event.public
    if model is Change:  # its CIs are linked after the row exists
        assert list(ticket.cis.values_list("pk", flat=True)) == [ci_a.pk]


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


def _created_by_event_record(source: str, filename: str) -> list[int]:
    """Lines of `source` that record a "created" event through `event_record` instead of
    `ticket_insert_created`."""
    lines = []
    for node in ast.walk(ast.parse(source, filename=filename)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "event_record"):
            continue
        action = next((kw.value for kw in node.keywords if kw.arg == "action"), None)
        if isinstance(action, ast.Attribute) and action.attr == "CREATED":
            lines.append(node.lineno)
    return lines


def test_no_kind_records_its_created_event_by_hand():
    """Every create goes through `ticket_insert_created` (the kernel's one path; tickets/audit.py
    itself falls back to `event_record` when the database gives the id on insert)."""
    found = {path.relative_to(ROOT).as_posix(): lines for path in _python_files()
             if (lines := _created_by_event_record(path.read_text(encoding="utf-8"), str(path)))}
    assert found == {"tickets/audit.py": found.get("tickets/audit.py")} and found["tickets/audit.py"], found
    # The check sees the old way of writing it.
    old = "event_record(ticket=t, actor=a, action=EventAction.CREATED, now=n, data={})"
    assert _created_by_event_record(old, "old.py") == [1]
