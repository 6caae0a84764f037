"""Issue 13, queued mode end to end: alerts posted to the real endpoints (Django's test client,
autocommit, so every inbox row is committed) are turned into incidents by a REAL Celery worker
(`celery -A opsdesk worker` subprocess, Redis broker, this test's PostgreSQL database), queued by the
receivers' own kick (`monitoring.inbox_process_task`, queue class "intake") — nothing here calls the
processor. Repeats are deduplicated; one poisonous item fails alone (after MAX_ATTEMPTS tries, each
in its own transaction) while every other item is processed.

The poison is injected where the worker process sees it: a PostgreSQL trigger refusing the alert
record of host "poison-host" (an error the per-alert savepoint does not absorb, so the item's whole
chunk fails and the processor falls back to item by item)."""

from __future__ import annotations

import pytest
from django.db import connection

from incidents.models import Incident
from monitoring.choices import InboxState, IngestMode
from monitoring.inbox import MAX_ATTEMPTS
from monitoring.models import AlertRecord, InboundLog, InboxItem
from tests.workers import celery_worker, wait_for

from .conftest import EVENTS_TOKEN, am_alert, am_payload

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]

HOSTS = [f"cam-host-{n}" for n in range(6)]
POISON_SQL = """
CREATE OR REPLACE FUNCTION test_inbox_poison() RETURNS trigger AS $$
BEGIN
    IF NEW.fingerprint LIKE '%poison-host%' THEN
        RAISE EXCEPTION 'poisoned alert %', NEW.fingerprint;
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER test_inbox_poison BEFORE INSERT ON monitoring_alertrecord
    FOR EACH ROW EXECUTE FUNCTION test_inbox_poison();
"""


@pytest.fixture
def poison():
    with connection.cursor() as cursor:
        cursor.execute(POISON_SQL)
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER IF EXISTS test_inbox_poison ON monitoring_alertrecord;"
                       " DROP FUNCTION IF EXISTS test_inbox_poison()")


def _event(host: str, n: int, state: str = "CRITICAL") -> dict[str, str]:
    # The check output varies like a real one, so every request is an inbox item of its own.
    return {"host": host, "service": "ping", "state": state, "severity": "warning", "output": f"rtt {n} ms"}


def test_a_real_worker_turns_the_inbox_into_incidents(am_source, events_source, post, poison, settings, tmp_path):
    for source in (am_source, events_source):
        source.ingest_mode = IngestMode.QUEUED
        source.save()
    settings.MONITORING_INBOX_KICK_SECONDS = 0  # every request kicks the processor (no beat runs here)

    def events_post(body: dict[str, str]) -> None:
        response = post("events", body, token=EVENTS_TOKEN)
        assert response.status_code == 202, response.content
        assert response.json()["queued"] is True

    with celery_worker(tmp_path, name="inbox") as worker:
        # Wave 1: six new alerts, the poison among them, a repeat of the first, an Alertmanager group of two.
        for n, host in enumerate(HOSTS[:3]):
            events_post(_event(host, n))
        events_post(_event("poison-host", 0))
        for n, host in enumerate(HOSTS[3:], start=3):
            events_post(_event(host, n))
        events_post(_event(HOSTS[0], 99))  # the same alert again: a repeat, not a new incident
        assert post("alertmanager", am_payload(am_alert("am-a"), am_alert("am-b"))).status_code == 202
        assert Incident.objects.count() == 0  # nothing was processed in the request

        def others_done() -> bool:
            return InboxItem.objects.exclude(body__contains="poison-host").filter(state=InboxState.DONE).count() == 8

        assert wait_for(others_done, timeout=90), (list(InboxItem.objects.values_list("state", "message")),
                                                    worker.tail())
        # Every host has its own incident; the repeat was counted on the first one's record.
        assert Incident.objects.filter(channel="monitoring").count() == 8, worker.tail()
        first = AlertRecord.objects.get(source=events_source, fingerprint=f"{HOSTS[0]}/ping")
        assert first.count == 2 and first.incident is not None
        assert InboxItem.objects.filter(incident_number=first.incident.number).count() == 2
        assert not AlertRecord.objects.filter(fingerprint__contains="poison-host").exists()

        # Wave 2: every alert again (each request kicks the worker once more): repeats only.
        for n, host in enumerate(HOSTS, start=100):
            events_post(_event(host, n))
        assert post("alertmanager", am_payload(am_alert("am-a"), am_alert("am-b"))).status_code == 202

        def settled() -> bool:
            return (not InboxItem.objects.filter(state=InboxState.QUEUED).exclude(body__contains="poison-host")
                    .exists()
                    and InboxItem.objects.filter(body__contains="poison-host", state=InboxState.FAILED).exists())

        assert wait_for(settled, timeout=90), (list(InboxItem.objects.values_list("state", "attempts", "message")),
                                                worker.tail())

    assert Incident.objects.filter(channel="monitoring").count() == 8
    counts = dict(AlertRecord.objects.filter(source=events_source).values_list("fingerprint", "count"))
    assert counts == {f"{HOSTS[0]}/ping": 3, **{f"{h}/ping": 2 for h in HOSTS[1:]}}
    assert sorted(AlertRecord.objects.filter(source=am_source).values_list("count", flat=True)) == [2, 2]
    # The poisonous item failed alone, after MAX_ATTEMPTS tries, with the database's reason.
    bad = InboxItem.objects.get(body__contains="poison-host")
    assert bad.state == InboxState.FAILED and bad.attempts == MAX_ATTEMPTS
    assert "poisoned alert poison-host/ping" in bad.message
    assert InboxItem.objects.filter(state=InboxState.DONE).count() == InboxItem.objects.count() - 1 == 15
    assert InboundLog.objects.filter(outcome="error").count() == 1
    assert InboundLog.objects.filter(status_code=202, outcome="accepted").count() == 15
