"""Incident lists: the lean row shape (no long free text), its fast serialization path giving
exactly what DRF gives, and the clocks of a new incident written with one INSERT."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.api.serializers import LIST_OMITTED_FIELDS, IncidentDetailSerializer, IncidentListItemSerializer
from incidents.models import Incident
from incidents.services import incident_create, incident_transition
from tests.factories import CIFactory, ContactFactory

pytestmark = pytest.mark.django_db

M = timedelta(minutes=1)


@pytest.fixture
def incidents(org_a, operator, dispatcher, engineer, now):
    """A spread of states: untouched, responded (met clocks), pending (paused clocks), level I,
    overdue (breached), with and without contact, CI and assignee."""
    contact, ci = ContactFactory(organization=org_a), CIFactory(organization=org_a)
    plain = incident_create(actor=operator, organization=org_a, title="plain", now=now)
    full = incident_create(actor=operator, organization=org_a, title="full", description="long text " * 50,
                           contact=contact, ci=ci, impact="high", urgency="high", now=now - 300 * M,
                           reported_at=now - 300 * M)
    incident_transition(incident_id=full.pk, actor=dispatcher, action="assign", payload={"assignee": engineer.pk},
                        now=now - 290 * M)
    incident_transition(incident_id=full.pk, actor=engineer, action="accept", now=now - 280 * M)
    paused = incident_create(actor=operator, organization=org_a, title="paused", now=now - 60 * M,
                             reported_at=now - 60 * M)
    incident_transition(incident_id=paused.pk, actor=dispatcher, action="assign", payload={"assignee": engineer.pk},
                        now=now - 50 * M)
    incident_transition(incident_id=paused.pk, actor=engineer, action="accept", now=now - 45 * M)
    incident_transition(incident_id=paused.pk, actor=engineer, action="pend", payload={"reason": "no access"},
                        now=now - 40 * M)
    major = incident_create(actor=operator, organization=org_a, title="major", fault_level="I",
                            level_reason="hospital down", now=now)
    return [plain, full, paused, major]


def test_fast_list_path_gives_what_drf_gives(incidents, now):
    rows = list(Incident.objects.filter(pk__in=[i.pk for i in incidents]).order_by("pk"))
    context = {"now": now + 600 * M}  # some targets overdue by then
    fast = IncidentListItemSerializer(rows, many=True, context=context).data
    drf = [IncidentListItemSerializer(row, context=dict(context)).data for row in rows]
    assert json.dumps(fast) == json.dumps(drf)  # same keys, same order, same values
    assert any(r["sla"]["targets"] for r in fast)
    states = {t["state"] for r in fast for t in r["sla"]["targets"]}
    assert {"met", "paused", "running"} <= states


def test_list_rows_leave_out_long_text_and_detail_keeps_it(api_as, dispatcher, engineer, incidents):
    client = api_as(dispatcher)
    for url in ("/api/v1/incidents/", "/api/v1/incidents/queue/"):
        rows = client.get(url).json()["results"]
        assert rows
        for row in rows:
            assert not set(LIST_OMITTED_FIELDS) & set(row)
            assert {"id", "number", "title", "status", "fault_level", "sla", "version"} <= set(row)
            assert "targets" in row["sla"]
    mine = api_as(engineer).get("/api/v1/incidents/mine/").json()["results"]
    assert mine and all(not set(LIST_OMITTED_FIELDS) & set(row) for row in mine)
    detail = client.get(f"/api/v1/incidents/{incidents[1].pk}/").json()
    assert set(IncidentDetailSerializer.Meta.fields) == set(detail)
    assert detail["description"].startswith("long text")


def test_create_writes_its_clocks_with_one_insert(org_a, operator, now):
    with CaptureQueriesContext(connection) as ctx:
        inc = incident_create(actor=operator, organization=org_a, title="count me", now=now)
    # A prepared statement is logged as "QUERY = '…' - PARAMS = …" (Django's server-side binding).
    inserts = [q["sql"] for q in ctx.captured_queries if 'INSERT INTO "tickets_slaclock"' in q["sql"]]
    assert len(inserts) == 1
    from tickets.models import SLAClock

    clocks = SLAClock.objects.filter(ticket_kind="incident", ticket_id=inc.pk)
    assert clocks.count() >= 1
    assert all(c.state == "running" and c.next_check_at is not None for c in clocks)
    # The test's own transaction turns the service's atomic block into one savepoint pair.
    assert len([q for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]) <= 12
