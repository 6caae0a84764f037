"""Issue #11 finding 10: `Idempotency-Key` on API creates. A client retrying after a lost response
must not create a duplicate; the same key with another body is refused."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connections
from django.utils import timezone
from rest_framework.test import APIClient

from incidents.models import Incident
from tickets.models import IdempotencyKey, ServiceRequest

pytestmark = pytest.mark.django_db


def payload(org: Any, **extra: Any) -> dict[str, Any]:
    return {"title": "Core switch down", "organization": org.pk, "impact": "high", "urgency": "high",
            "channel": "phone", **extra}


def post(client: APIClient, body: dict[str, Any], key: str | None, url: str = "/api/v1/incidents/") -> Any:
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post(url, body, format="json", headers=headers)


def test_a_retry_without_a_key_duplicates_the_incident(api_as, operator, org_a):
    """The control: this is what a client without the header still gets."""
    client = api_as(operator)
    assert post(client, payload(org_a), None).status_code == 201
    assert post(client, payload(org_a), None).status_code == 201
    assert Incident.objects.count() == 2


def test_retry_with_the_same_key_replays_the_first_response(api_as, operator, org_a):
    client = api_as(operator)
    first = post(client, payload(org_a), "retry-1")
    assert first.status_code == 201, first.content
    retry = post(client, payload(org_a), "retry-1")
    assert retry.status_code == 201
    assert retry.json()["id"] == first.json()["id"] and retry.json() == first.json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert Incident.objects.count() == 1


def test_same_key_with_a_different_body_is_refused(api_as, operator, org_a):
    client = api_as(operator)
    assert post(client, payload(org_a), "k-2").status_code == 201
    res = post(client, payload(org_a, title="Another fault"), "k-2")
    assert res.status_code == 422
    assert "different request" in res.json()["idempotency_key"][0]
    assert Incident.objects.count() == 1


def test_keys_are_per_user_and_per_endpoint(api_as, operator, dispatcher, org_a):
    assert post(api_as(operator), payload(org_a), "shared").status_code == 201
    assert post(api_as(dispatcher), payload(org_a), "shared").status_code == 201  # another user's key
    assert Incident.objects.count() == 2
    res = post(api_as(operator), {"title": "VPN", "organization": org_a.pk, "request_type": "service_request"},
               "shared", url="/api/v1/requests/")
    assert res.status_code == 422 and not ServiceRequest.objects.exists()


def test_a_failed_create_does_not_burn_the_key(api_as, operator, org_a):
    client = api_as(operator)
    bad = post(client, payload(org_a, title=""), "k-3")
    assert bad.status_code == 400
    good = post(client, payload(org_a), "k-3")  # the corrected request, same key
    assert good.status_code == 201 and Incident.objects.count() == 1


def test_keys_expire(api_as, operator, org_a):
    client = api_as(operator)
    first = post(client, payload(org_a), "k-4")
    with time_machine.travel(timezone.now() + timedelta(hours=25), tick=False):
        again = post(client, payload(org_a), "k-4")
    assert again.status_code == 201 and again.json()["id"] != first.json()["id"]
    assert IdempotencyKey.objects.filter(key="k-4").count() == 1


@pytest.mark.parametrize("key", ["", " ", "x" * 256, "ключ"])
def test_a_malformed_key_is_a_field_error(api_as, operator, org_a, key):
    res = post(api_as(operator), payload(org_a), key)
    assert res.status_code == 400 and "idempotency_key" in res.json()
    assert not Incident.objects.exists()


def test_the_other_ticket_creates_share_the_mechanism(api_as, operator, org_a):
    client = api_as(operator)
    body = {"title": "VPN", "organization": org_a.pk, "request_type": "service_request"}
    first = post(client, body, "req-1", url="/api/v1/requests/")
    assert first.status_code == 201, first.content
    assert post(client, body, "req-1", url="/api/v1/requests/").json()["id"] == first.json()["id"]
    assert ServiceRequest.objects.count() == 1


def test_the_schema_documents_the_header(api_as, operator):
    schema = api_as(operator).get("/api/schema/", {"format": "json"}).json()
    for path in ("/api/v1/incidents/", "/api/v1/requests/", "/api/v1/problems/", "/api/v1/changes/",
                 "/api/v1/releases/"):
        op = schema["paths"][path]["post"]
        assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in op["parameters"]), path
        assert "422" in op["responses"], path


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_create_one_incident(operator, org_a):
    start = threading.Barrier(4)
    results: list[Any] = []

    def send() -> None:
        try:
            client = APIClient()
            client.force_authenticate(user=operator)
            start.wait(timeout=15)
            results.append(post(client, payload(org_a), "race"))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert [r.status_code for r in results] == [201] * 4
    assert len({r.json()["id"] for r in results}) == 1
    assert Incident.objects.count() == 1
