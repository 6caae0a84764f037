from __future__ import annotations

import pytest

from tickets.models import ServiceRequest

pytestmark = pytest.mark.django_db


def create(client, **data):
    return client.post("/api/v1/requests/", data, format="json")


def test_request_lifecycle(api_as, operator, dispatcher, engineer, customer_a, org_a):
    res = create(api_as(operator), title="New laptop", request_type="service_request", organization=org_a.pk)
    assert res.status_code == 201, res.content
    body = res.json()
    assert body["number"].startswith("REQ-") and body["status"] == "new" and "fault_level" not in body
    pk = body["id"]

    def step(client, action, **extra):
        r = client.post(f"/api/v1/requests/{pk}/transition/", {"action": action, **extra}, format="json")
        assert r.status_code == 200, (action, r.content)
        return r.json()

    assert step(api_as(dispatcher), "assign", assignee=engineer.pk)["status"] == "assigned"
    assert step(api_as(engineer), "accept")["status"] == "in_progress"
    assert step(api_as(engineer), "pend", reason="waiting")["status"] == "pending"
    assert step(api_as(customer_a), "resume")["status"] == "in_progress"
    assert step(api_as(engineer), "resolve", resolution="delivered")["status"] == "resolved"
    assert step(api_as(customer_a), "reopen", reason="wrong model")["status"] == "in_progress"
    step(api_as(engineer), "resolve", resolution="swapped")
    assert step(api_as(customer_a), "close")["status"] == "closed"
    res = api_as(customer_a).post(f"/api/v1/requests/{pk}/transition/", {"action": "cancel", "reason": "x"},
                                  format="json")
    assert res.status_code == 400 and res.json()["allowed_actions"] == []
    stale = api_as(engineer).post(f"/api/v1/requests/{pk}/transition/", {"action": "reopen", "reason": "x",
                                                                        "version": 1}, format="json")
    assert stale.status_code == 409


def test_request_errors_and_customer_rules(api_as, operator, customer_a, org_a, org_b):
    assert "request_type" in create(api_as(operator), title="x", organization=org_a.pk).json()
    assert "request_type" in create(api_as(operator), title="x", organization=org_a.pk, request_type="bogus").json()
    assert "title" in create(api_as(operator), request_type="complaint", organization=org_a.pk).json()
    res = create(api_as(customer_a), title="Training please", request_type="training")
    assert res.status_code == 201 and res.json()["organization"] == org_a.pk and res.json()["channel"] == "portal"
    assert api_as(operator).get("/api/v1/requests/", {"request_type": "training"}).json()["results"][0]["id"] == \
        res.json()["id"]
    assert api_as(operator).get("/api/v1/requests/", {"month": "2026-1"}).status_code == 400
    assert api_as(operator).patch(f"/api/v1/requests/{res.json()['id']}/", {"title": "x"},
                                  format="json").status_code == 405


def test_request_timeline_shares_the_code(api_as, operator, customer_a, org_a):
    pk = create(api_as(operator), title="x", request_type="consultation", organization=org_a.pk).json()["id"]
    assert api_as(operator).post(f"/api/v1/requests/{pk}/comments/", {"body": "hi", "public": True},
                                 format="json").status_code == 201
    assert api_as(operator).post(f"/api/v1/requests/{pk}/worklogs/", {"minutes": 5, "note": "call"},
                                 format="json").status_code == 201
    assert [e["action"] for e in api_as(operator).get(f"/api/v1/requests/{pk}/events/").json()["results"]] == \
        ["created", "comment", "worklog"]
    assert api_as(customer_a).get(f"/api/v1/requests/{pk}/worklogs/").status_code == 404
    assert ServiceRequest.objects.get(pk=pk).audit_seq == 3
