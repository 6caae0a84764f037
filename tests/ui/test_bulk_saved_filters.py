"""Bulk assign / comment on the incident list (through the transition engine, refused per item with
the reason), "assigned to me" / "my group" on every ticket list, and saved filters."""

from __future__ import annotations

import pytest

from accounts.choices import Role
from savedfilters.models import SavedFilter
from tests.factories import SupportGroupFactory, UserFactory
from tickets.models import Comment

pytestmark = pytest.mark.django_db


def test_bulk_assign_refuses_closed_and_unknown_per_item(client, dispatcher, make_incident, org_a, engineer):
    open_one = make_incident(organization=org_a, title="Open one")
    closed = make_incident(organization=org_a, title="Closed one", status="closed")
    client.force_login(dispatcher)
    response = client.post("/incidents/bulk/", {"bulk_action": "assign", "assignee": engineer.pk,
                                                "ids": [open_one.pk, closed.pk, 999999]})
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('class="bulk-done"') == 1 and page.count('class="bulk-refused"') == 2
    open_one.refresh_from_db()
    closed.refresh_from_db()
    assert open_one.assignee_id == engineer.pk and open_one.status == "assigned"
    assert closed.status == "closed" and closed.assignee_id != engineer.pk


def test_bulk_assign_refused_for_a_role_the_workflow_forbids(client, engineer, make_incident, org_a):
    inc = make_incident(organization=org_a)
    client.force_login(engineer)  # engineers do not dispatch
    page = client.post("/incidents/bulk/", {"bulk_action": "assign", "assignee": engineer.pk, "ids": [inc.pk]}
                       ).content.decode()
    assert 'class="bulk-refused"' in page
    inc.refresh_from_db()
    assert inc.assignee_id is None


def test_bulk_comment_and_csrf(client, dispatcher, make_incident, org_a):
    a, b = make_incident(organization=org_a), make_incident(organization=org_a)
    client.force_login(dispatcher)
    client.post("/incidents/bulk/", {"bulk_action": "comment", "body": "现场已联系", "ids": [a.pk, b.pk]})
    assert Comment.objects.filter(body="现场已联系").count() == 2
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(dispatcher)
    assert strict.post("/incidents/bulk/", {"bulk_action": "comment", "body": "x", "ids": [a.pk]}).status_code == 403


def test_mine_and_my_group_on_every_list(client, make_incident, org_a, engineer, other_engineer):
    north = SupportGroupFactory(name="北区")
    north.members.add(engineer)
    mine = make_incident(organization=org_a, title="Mine", status="assigned", assignee=engineer)
    theirs = make_incident(organization=org_a, title="Theirs", status="assigned", assignee=other_engineer)
    lead = UserFactory(role=Role.MANAGER)
    from django.utils import timezone

    from incidents.services import incident_transition

    grouped = make_incident(organization=org_a, title="Group's")
    incident_transition(incident_id=grouped.pk, actor=lead, action="assign", payload={"group": north.pk},
                        now=timezone.now())
    client.force_login(engineer)
    page = client.get("/incidents/?mine=true").content.decode()
    assert mine.number in page and theirs.number not in page and grouped.number not in page
    page = client.get("/incidents/?my_group=true").content.decode()
    assert grouped.number in page and theirs.number not in page
    for path in ("/requests/", "/problems/", "/changes/"):
        response = client.get(path, {"mine": "true", "my_group": "true"})
        assert response.status_code == 200 and 'id="qf-mine"' in response.content.decode()
    assert client.get("/api/v1/incidents/", {"mine": "true"}).json()["results"][0]["number"] == mine.number


def test_saved_filter_round_trip_and_owner_only(client, engineer, other_engineer):
    client.force_login(engineer)
    response = client.post("/saved-filters/", {"name": "本周超时", "path": "/incidents/",
                                               "query": "sla=breached&reported_in=week&after=x"})
    saved = SavedFilter.objects.get(user=engineer)
    assert response.status_code == 302 and response["Location"] == "/incidents/?sla=breached&reported_in=week"
    assert "本周超时" in client.get("/incidents/").content.decode()
    assert client.post("/saved-filters/", {"name": "x", "path": "/admin/", "query": ""}).status_code == 302
    assert SavedFilter.objects.count() == 1
    client.force_login(other_engineer)
    assert "本周超时" not in client.get("/incidents/").content.decode()
    assert client.post(f"/saved-filters/{saved.pk}/remove/").status_code == 404
    client.force_login(engineer)
    client.post(f"/saved-filters/{saved.pk}/remove/")
    saved.refresh_from_db()
    assert saved.is_active is False
