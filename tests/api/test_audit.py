from __future__ import annotations

import pytest

from tickets.models import TicketEvent
from tickets.services import request_create

pytestmark = pytest.mark.django_db


def verify(client, **params):
    return client.get("/api/v1/audit/verify/", params)


def test_verify_detects_tampering_and_names_the_event(api_as, make_incident, org_a, supervisor, manager):
    inc = make_incident(organization=org_a, status="in_progress")
    other = make_incident(organization=org_a)
    client = api_as(supervisor)
    res = verify(client, kind="incident", id=inc.pk)
    assert res.status_code == 200 and res.json() == {"ok": True, "checked": 1, "truncated": False, "breaks": []}
    event = TicketEvent.objects.get(ticket_kind="incident", ticket_id=inc.pk, seq=2)
    TicketEvent.objects.filter(pk=event.pk).update(data={**event.data, "action": "forged"})
    body = verify(client, kind="incident", id=inc.pk).json()
    assert body["ok"] is False
    assert body["breaks"][0] == {"ticket_kind": "incident", "ticket_id": inc.pk, "seq": 2, "event_id": event.pk,
                                 "reason": body["breaks"][0]["reason"], "category": "event_altered", "record": ""}
    assert "altered" in body["breaks"][0]["reason"]
    assert verify(client, kind="incident", id=other.pk).json()["ok"] is True
    everything = verify(api_as(manager)).json()  # every ticket at once: managers and analysts only
    assert everything["ok"] is False and everything["checked"] >= 2
    assert [b["event_id"] for b in everything["breaks"]] == [event.pk]


def test_verify_names_a_visible_row_that_differs_from_its_event(api_as, make_incident, org_a, customer_a, engineer,
                                                                now):
    """Issue #11 finding 5: a comment body edited in the database is reported, also to the customer."""
    from tickets.models import Comment  # noqa: PLC0415
    from tickets.services import ticket_comment_add  # noqa: PLC0415

    inc = make_incident(organization=org_a, status="in_progress")
    comment = ticket_comment_add(ticket=inc, author=engineer, body="PSU replaced", public=True, now=now)
    Comment.objects.filter(pk=comment.pk).update(body="nothing was wrong")
    body = verify(api_as(customer_a), kind="incident", id=inc.pk).json()
    assert body["ok"] is False
    assert [(b["category"], b["record"]) for b in body["breaks"]] == [("row_differs", f"comment {comment.pk}")]


def test_verify_scoping_and_bad_input(api_as, make_incident, org_a, org_b, customer_a, supervisor, manager, operator,
                                     now):
    mine = make_incident(organization=org_a)
    theirs = make_incident(organization=org_b)
    req = request_create(actor=operator, organization=org_a, title="r", request_type="consultation", now=now)
    cust = api_as(customer_a)
    assert verify(cust, kind="incident", id=mine.pk).json()["ok"] is True
    assert verify(cust, kind="request", id=req.pk).json()["ok"] is True
    assert verify(cust, kind="incident", id=theirs.pk).status_code == 404
    assert verify(cust, kind="incident", id=999999).status_code == 404
    assert verify(cust, kind="incident").status_code == 403  # customers verify one ticket at a time
    staff = api_as(supervisor)
    assert verify(staff, kind="spaceship", id=1).status_code == 400  # not a ticket type
    assert verify(staff, id=mine.pk).status_code == 400
    assert verify(staff, kind="incident", id="abc").status_code == 400
    assert verify(api_as(manager), kind="request").json()["checked"] == 1
