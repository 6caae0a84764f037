"""Issue 13: the lean ingest path (sources in queued mode): one insert and 202 per request, a batch
processor turning the inbox into incidents with the same rules/dedup/correlation; one bad item never
stops the queue."""

from __future__ import annotations

import pytest

from incidents.models import Incident
from monitoring.choices import InboxState, IngestMode
from monitoring.inbox import MAX_ATTEMPTS, inbox_process
from monitoring.models import AlertRecord, InboundLog, InboxItem

from .conftest import EVENTS_TOKEN, am_alert, am_payload

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(am_source, events_source):
    for source in (am_source, events_source):
        source.ingest_mode = IngestMode.QUEUED
        source.save()
    return am_source, events_source


def test_queued_request_is_one_insert_answered_202_then_processed(queued, estate, post, django_assert_max_num_queries):
    body = am_payload(am_alert("sw-1"))
    post("alertmanager", body)  # warm the auth cache
    InboxItem.objects.all().delete()
    with django_assert_max_num_queries(1):
        response = post("alertmanager", body)
    assert response.status_code == 202 and response.json() == {"status": "queued", "alerts": 1, "queued": True,
                                                  "item": InboxItem.objects.get().pk}
    # A sender's retry of the same body while it waits is not queued twice.
    assert post("alertmanager", body).json()["queued"] is False
    assert InboxItem.objects.filter(state=InboxState.QUEUED).count() == 1
    assert Incident.objects.count() == 0
    assert inbox_process() == {"done": 1}
    incident = Incident.objects.get()
    assert incident.ci == estate["switch"]
    item = InboxItem.objects.get()
    assert item.state == InboxState.DONE and item.incident_number == incident.number
    log = InboundLog.objects.get()
    assert (log.status_code, log.created, log.alerts) == (202, 1, 1)
    # after processing the same alert again is a repeat on the same incident (dedup)
    post("alertmanager", body)
    inbox_process()
    assert Incident.objects.count() == 1 and AlertRecord.objects.get().count == 2


def test_batch_keeps_order_correlation_and_firing_then_resolved(queued, estate, post):
    cams = estate["cameras"]
    for cam in cams:
        post("alertmanager", am_payload(am_alert(cam.name)))
    post("alertmanager", am_payload(am_alert("sw-1")))
    # one alert fires and resolves before the worker runs: both happen, in order
    post("events", {"host": "lonely", "service": "ping", "state": "CRITICAL"}, token=EVENTS_TOKEN)
    post("events", {"host": "lonely", "service": "ping", "state": "OK"}, token=EVENTS_TOKEN)
    assert inbox_process()["done"] == 7
    switch_incidents = Incident.objects.filter(ci=estate["switch"]).exclude(status="cancelled")
    assert switch_incidents.count() == 1
    assert AlertRecord.objects.filter(incident=switch_incidents.get(), state="firing").count() == 5
    lonely = AlertRecord.objects.get(fingerprint__contains="lonely")
    assert lonely.state == "resolved" and lonely.incident is not None


def test_a_bad_item_never_stops_the_queue(queued, post, monkeypatch, am_source):
    from monitoring import inbox

    real_ingest = inbox.alerts_ingest

    def ingest(*, source, alerts, now, **kwargs):  # fault injection: this one alert breaks its batch
        if any(a.labels.get("host") == "poison" for a in alerts):
            raise RuntimeError("poisoned")
        return real_ingest(source=source, alerts=alerts, now=now, **kwargs)

    monkeypatch.setattr(inbox, "alerts_ingest", ingest)
    post("alertmanager", am_payload(am_alert("host-a")))
    post("events", {"host": "poison", "state": "CRITICAL"}, token=EVENTS_TOKEN)
    post("alertmanager", am_payload(am_alert("host-b")))
    # an item the parser refuses (e.g. stored by an older version) is marked failed at once
    InboxItem.objects.create(source=am_source, received_at=am_source.created_at, digest="x", body="{}")
    first = inbox_process()
    assert first == {"done": 2, "retry": 1, "failed": 1}
    assert Incident.objects.count() == 2
    bad = InboxItem.objects.get(state=InboxState.QUEUED)
    assert bad.attempts == 1 and "poisoned" in bad.message
    for _n in range(MAX_ATTEMPTS):
        inbox_process()
    bad.refresh_from_db()
    assert bad.state == InboxState.FAILED and bad.attempts == MAX_ATTEMPTS
    assert InboundLog.objects.filter(outcome="error").count() == 2
    post("alertmanager", am_payload(am_alert("host-c")))
    assert inbox_process() == {"done": 1}
    assert Incident.objects.count() == 3


def test_a_nul_in_a_payload_is_dropped_not_a_500(am_source, post):
    raw = b'{"version": "4", "status": "firing", "alerts": [{"status": "firing", "labels": {"host": "a\\u0000b"}}]}'
    assert post("alertmanager", None, raw=raw).status_code == 200


def test_malformed_and_unauthorised_stay_synchronous(queued, post):
    assert post("alertmanager", {"alerts": "x"}).status_code == 400
    assert post("alertmanager", am_payload(am_alert("x")), token="wrong").status_code == 401
    assert not InboxItem.objects.exists()


def test_deactivating_a_source_takes_effect_at_once_in_this_process(queued, post):
    am_source = queued[0]
    assert post("alertmanager", am_payload(am_alert("x"))).status_code == 202
    am_source.is_active = False
    am_source.save()
    assert post("alertmanager", am_payload(am_alert("x"))).status_code == 401


def test_the_inbox_insert_commits_without_waiting_for_the_wal_flush(queued, post, settings):
    """MONITORING_INBOX_ASYNC_COMMIT (default on): the insert's own transaction has synchronous_commit
    off (set inside the statement: still one query); off → durable like everything else."""
    from django.db import connection

    if connection.vendor != "postgresql":  # SQLite (scripts/run) has no synchronous_commit: the durable insert
        assert post("alertmanager", am_payload(am_alert("a"))).status_code == 202
        assert InboxItem.objects.filter(state=InboxState.QUEUED).count() == 1
        return

    def setting() -> str:
        with connection.cursor() as cursor:  # the test's transaction is the insert's transaction
            cursor.execute("SELECT current_setting('synchronous_commit')")
            return str(cursor.fetchone()[0])

    assert setting() == "on"
    settings.MONITORING_INBOX_ASYNC_COMMIT = False
    assert post("alertmanager", am_payload(am_alert("a"))).status_code == 202
    assert setting() == "on"
    settings.MONITORING_INBOX_ASYNC_COMMIT = True
    assert post("alertmanager", am_payload(am_alert("b"))).status_code == 202
    assert setting() == "off"
    assert InboxItem.objects.filter(state=InboxState.QUEUED).count() == 2


def test_receivers_skip_the_rest_of_the_middleware_but_keep_id_language_and_nosniff(queued, post):
    from django.test import Client

    from opsdesk.observability import REQUEST_LATENCY

    def observed() -> float:
        return REQUEST_LATENCY.labels("integrations-alertmanager", "POST")._sum.get()

    before = observed()
    response = post("alertmanager", am_payload(am_alert("a")))
    assert response.status_code == 202
    assert observed() > before  # the latency metric still names the route
    assert response["X-Request-ID"] and response["X-Content-Type-Options"] == "nosniff"
    # LocaleMiddleware / SessionMiddleware did not run: nothing varies on the language or a cookie
    assert "Vary" not in response and not response.cookies
    client = Client()
    zh = client.post("/api/v1/integrations/alertmanager/", data=b"{}", content_type="application/json",
                     HTTP_AUTHORIZATION="Bearer wrong", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert zh.status_code == 401 and zh.json()["detail"].startswith("认证失败")
    en = client.post("/api/v1/integrations/alertmanager/", data=b"{}", content_type="application/json",
                     HTTP_AUTHORIZATION="Bearer wrong", HTTP_ACCEPT_LANGUAGE="en")
    assert en.json()["detail"].startswith("Authentication failed")
    # Another method takes the normal stack (its 401 comes from the same view)
    assert client.get("/api/v1/integrations/alertmanager/").status_code == 401
    # ALLOWED_HOSTS still applies on the short cut
    assert client.post("/api/v1/integrations/alertmanager/", data=b"{}", content_type="application/json",
                       HTTP_HOST="evil.example").status_code == 400
