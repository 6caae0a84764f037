"""The monitoring intake through its endpoints: auth, malformed bodies, rules, dedup, recovery,
flapping, correlation, the flood cap, Zabbix and generic events, the admin rule test."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.choices import IncidentStatus
from incidents.models import Incident
from incidents.services import incident_transition
from monitoring.choices import AlertState, InboundOutcome, OnRecovery, RuleAction
from monitoring.models import AlertRecord, AlertRule, FloodWindow, InboundLog
from monitoring.payloads import Alert
from monitoring.services import alerts_ingest
from tickets.models import TicketEvent

from .conftest import EVENTS_TOKEN, ZABBIX_PASSWORD, am_alert, am_payload

pytestmark = pytest.mark.django_db


def monitoring_incidents():
    return Incident.objects.filter(channel="monitoring")


# --- auth and malformed payloads ------------------------------------------------------------

def test_wrong_or_missing_secret_is_401_json_and_logged(am_source, post):
    for token in ("wrong-token", None):
        response = post("alertmanager", am_payload(am_alert("sw-1")), token=token)
        assert response.status_code == 401
        assert "detail" in response.json()
    response = post("alertmanager", am_payload(am_alert("sw-1")), basic=("zabbix", "nope"))
    assert response.status_code == 401
    assert InboundLog.objects.filter(outcome=InboundOutcome.UNAUTHORIZED, status_code=401).count() == 3
    assert not monitoring_incidents().exists()


def test_inactive_source_is_401(am_source, post):
    am_source.is_active = False
    am_source.save()
    assert post("alertmanager", am_payload(am_alert("sw-1"))).status_code == 401


def test_basic_auth_and_a_source_posting_to_another_endpoint(zabbix_source, post):
    ok = post("zabbix", {"event_id": "1", "event_value": "1", "severity": "High", "host": "h1", "subject": "x"},
              basic=("zabbix", ZABBIX_PASSWORD))
    assert ok.status_code == 200
    wrong_endpoint = post("alertmanager", am_payload(am_alert("h1")), basic=("zabbix", ZABBIX_PASSWORD))
    assert wrong_endpoint.status_code == 400


@pytest.mark.parametrize(("raw", "message"), [
    (b"not json", "not valid JSON"),
    (b'{"version": "4"}', "alerts"),
    (b'{"alerts": [{"status": "burning", "labels": {"a": "b"}}]}', "status"),
    (b'{"alerts": [{"status": "firing", "labels": {}}]}', "label"),
    (b'{"alerts": [{"status": "firing", "labels": {"a": "b"}, "startsAt": "yesterday"}]}', "startsAt"),
    (b'[1, 2]', "JSON object"),
    (b"\xff\xfe", "UTF-8"),
])
def test_malformed_payload_is_400_with_a_message_and_kept_in_the_log(am_source, post, raw, message):
    response = post("alertmanager", None, raw=raw)
    assert response.status_code == 400
    assert message in response.json()["detail"]
    log = InboundLog.objects.get(outcome=InboundOutcome.MALFORMED)
    assert log.source == am_source and log.status_code == 400 and message in log.message
    assert log.raw_body == raw.decode("utf-8", errors="replace")


# --- dedup, rules ---------------------------------------------------------------------------

def test_firing_alert_opens_one_incident_and_repeats_only_count(am_source, estate, post):
    payload = am_payload(am_alert("sw-1"))
    first = post("alertmanager", payload)
    assert first.status_code == 200, first.content
    incident = monitoring_incidents().get()
    assert incident.ci == estate["switch"] and incident.fault_level == "II"
    assert incident.organization == am_source.organization
    for _ in range(3):  # Alertmanager re-sends the group every group_interval
        assert post("alertmanager", payload).status_code == 200
    assert monitoring_incidents().count() == 1
    record = AlertRecord.objects.get()
    assert record.count == 4 and record.incident == incident and record.first_seen < record.last_seen
    log = InboundLog.objects.filter(outcome=InboundOutcome.ACCEPTED).order_by("id").last()
    assert log.repeated == 1 and log.created == 0


def test_duplicate_resolved_messages_are_idempotent(am_source, estate, post):
    post("alertmanager", am_payload(am_alert("sw-1")))
    resolved = am_payload(am_alert("sw-1", status="resolved"), status="resolved")
    post("alertmanager", resolved)
    incident = monitoring_incidents().get()
    before = incident.audit_seq
    post("alertmanager", resolved)
    post("alertmanager", resolved)
    incident.refresh_from_db()
    assert incident.audit_seq == before  # nothing more recorded
    assert AlertRecord.objects.get().state == AlertState.RESOLVED
    assert monitoring_incidents().count() == 1


def test_first_matching_rule_wins_ignore_level_group_and_ci_by_ip(am_source, estate, post, group, org_b):
    AlertRule.objects.create(position=1, name="ignore test", matchers={"env": "test"}, action=RuleAction.IGNORE)
    AlertRule.objects.create(position=2, name="by ip", matchers={"job": "snmp"}, ci_match="ip", ci_label="instance",
                             fault_level="I", group=group)
    AlertRule.objects.create(position=3, name="never reached", matchers={"job": "snmp"}, fault_level="IV")
    post("alertmanager", am_payload(am_alert("x", env="test")))
    assert not monitoring_incidents().exists()
    assert AlertRecord.objects.get().state == AlertState.IGNORED
    post("alertmanager", am_payload(am_alert("whatever", job="snmp", instance="10.0.0.1:161")))
    incident = monitoring_incidents().get()
    assert incident.ci == estate["switch"] and incident.fault_level == "I"
    assert incident.group == group and incident.status == IncidentStatus.ASSIGNED
    record = AlertRecord.objects.get(incident=incident)
    assert record.rule.name == "by ip"


def test_rule_sends_alerts_to_another_organisation_and_finds_ci_by_asset_tag(am_source, estate, post, org_b):
    from tests.factories import CIFactory
    cam = CIFactory(name="b-cam", organization=org_b, asset_tag="B-77")
    AlertRule.objects.create(position=1, name="org b", matchers={"site": "b"}, organization=org_b,
                             ci_match="asset_tag", ci_label="asset")
    post("alertmanager", am_payload(am_alert("ignored-name", site="b", asset="B-77")))
    incident = monitoring_incidents().get()
    assert incident.organization == org_b and incident.ci == cam


def test_no_organisation_keeps_the_alert_unmapped(am_source, post):
    am_source.organization = None
    am_source.save()
    response = post("alertmanager", am_payload(am_alert("sw-1")))
    assert response.status_code == 200
    assert AlertRecord.objects.get().state == AlertState.UNMAPPED
    assert not monitoring_incidents().exists()


# --- recovery and flapping ------------------------------------------------------------------

def _work(incident, dispatcher, engineer, now):
    incident_transition(incident_id=incident.pk, actor=dispatcher, action="assign", payload={"assignee": engineer.pk},
                        now=now)
    return incident_transition(incident_id=incident.pk, actor=engineer, action="accept", now=now)


def test_recovery_records_restoration_only_by_default(am_source, estate, post, dispatcher, engineer, now):
    post("alertmanager", am_payload(am_alert("sw-1")))
    incident = _work(monitoring_incidents().get(), dispatcher, engineer, now)
    post("alertmanager", am_payload(am_alert("sw-1", status="resolved")))
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.IN_PROGRESS and incident.restored_at is None
    event = TicketEvent.objects.filter(ticket_kind="incident", ticket_id=incident.pk).order_by("-seq").first()
    assert event.data["monitoring"]["recovered"] == "fp-sw-1-DeviceDown"
    assert event.data["monitoring"]["still_firing"] == 0


def test_recovery_restores_through_the_transition_engine_when_the_rule_says_so(am_source, estate, post, dispatcher,
                                                                               engineer, now):
    AlertRule.objects.create(position=1, name="restore", matchers={}, on_recovery=OnRecovery.RESTORE)
    post("alertmanager", am_payload(am_alert("sw-1")))
    incident = _work(monitoring_incidents().get(), dispatcher, engineer, now)
    post("alertmanager", am_payload(am_alert("sw-1", status="resolved")))
    incident.refresh_from_db()
    assert incident.restored_at is not None and "Monitoring" in incident.workaround
    # The site's language and a human time on the organisation's clock, never a raw UTC timestamp.
    assert "+00:00" not in incident.workaround and not re.search(r"\d{4}-\d\d-\d\dT", incident.workaround)
    assert "recovered at 6 Dec 2026, 10:30." in incident.workaround  # endsAt 10:30+08:00, Asia/Shanghai
    assert incident.status == IncidentStatus.IN_PROGRESS  # resolution stays with the engineer
    assert incident.resolved_at is None


def test_restore_waits_until_every_alert_of_the_incident_recovered(am_source, estate, post, dispatcher, engineer,
                                                                   now):
    AlertRule.objects.create(position=1, name="restore", matchers={}, on_recovery=OnRecovery.RESTORE)
    post("alertmanager", am_payload(am_alert("sw-1"), am_alert("cam-1")))
    incident = _work(monitoring_incidents().get(), dispatcher, engineer, now)
    post("alertmanager", am_payload(am_alert("sw-1", status="resolved"), am_alert("cam-1")))
    incident.refresh_from_db()
    assert incident.restored_at is None
    post("alertmanager", am_payload(am_alert("cam-1", status="resolved")))
    incident.refresh_from_db()
    assert incident.restored_at is not None


def test_flapping_alert_reopens_its_incident_during_observation(am_source, estate, post, dispatcher, engineer, now):
    post("alertmanager", am_payload(am_alert("sw-1")))
    incident = _work(monitoring_incidents().get(), dispatcher, engineer, now)
    post("alertmanager", am_payload(am_alert("sw-1", status="resolved")))
    incident_transition(incident_id=incident.pk, actor=engineer, action="resolve", now=now,
                        payload={"cause_category": "hardware", "resolution": "replaced the PSU"})
    incident = incident_transition(incident_id=incident.pk, actor=dispatcher, action="observe", now=now)
    assert incident.status == IncidentStatus.OBSERVING
    response = post("alertmanager", am_payload(am_alert("sw-1")))
    assert response.json()["outcome"] == {"reopened": 1}
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.IN_PROGRESS and incident.reopen_count == 1
    assert monitoring_incidents().count() == 1
    assert AlertRecord.objects.get().fired_count == 2


def test_alert_firing_again_after_its_incident_closed_opens_a_new_one(am_source, estate, post, dispatcher, now):
    post("alertmanager", am_payload(am_alert("sw-1")))
    first = monitoring_incidents().get()
    incident_transition(incident_id=first.pk, actor=dispatcher, action="cancel", payload={"reason": "test"}, now=now)
    post("alertmanager", am_payload(am_alert("sw-1", status="resolved")))
    post("alertmanager", am_payload(am_alert("sw-1")))
    assert monitoring_incidents().count() == 2
    assert AlertRecord.objects.get().incident != first


# --- correlation ----------------------------------------------------------------------------

def test_camera_alerts_join_their_failing_switchs_incident(am_source, estate, post):
    post("alertmanager", am_payload(am_alert("sw-1")))
    post("alertmanager", am_payload(*[am_alert(c.name, alertname="VideoLoss") for c in estate["cameras"]]))
    incident = monitoring_incidents().get()
    assert incident.ci == estate["switch"]
    assert AlertRecord.objects.filter(incident=incident, correlated=True).count() == 4


def test_correlation_within_one_group_whatever_the_order(am_source, estate, post):
    alerts = [am_alert(c.name, alertname="VideoLoss") for c in estate["cameras"]] + [am_alert("sw-1")]
    post("alertmanager", am_payload(*alerts))
    incident = monitoring_incidents().get()
    assert incident.ci == estate["switch"]
    assert AlertRecord.objects.filter(incident=incident).count() == 5


def test_unrelated_devices_get_their_own_incidents(am_source, estate, post, org_a):
    from tests.factories import CIFactory
    CIFactory(name="printer-9", organization=org_a)
    post("alertmanager", am_payload(am_alert("cam-1"), am_alert("printer-9"), am_alert("not-in-cmdb")))
    assert monitoring_incidents().count() == 3


def test_cameras_on_one_switch_share_an_incident_that_moves_to_the_switch_when_it_alerts(am_source, estate, post):
    for camera in estate["cameras"]:  # separate webhooks (other Alertmanager groups), before the switch
        post("alertmanager", am_payload(am_alert(camera.name, alertname="VideoLoss")))
    incident = monitoring_incidents().get()
    assert incident.ci == estate["cameras"][0]
    post("alertmanager", am_payload(am_alert("sw-1")))
    incident.refresh_from_db()
    assert monitoring_incidents().count() == 1 and incident.ci == estate["switch"]
    assert AlertRecord.objects.filter(incident=incident).count() == 5
    assert AlertRecord.objects.filter(incident=incident, correlated=True).count() == 4  # the cameras'
    assert TicketEvent.objects.filter(ticket_kind="incident", ticket_id=incident.pk, action="updated",
                                      data__changes__ci__1=estate["switch"].pk).exists()


def test_dependants_incidents_are_absorbed_when_their_upstream_ci_fails(am_source, estate, post, org_a):
    """A camera on another switch under the same line had its own incident; the line fails: the
    switch-level incidents nobody touched are cancelled as correlated, their alerts move."""
    post("alertmanager", am_payload(am_alert("cam-1", alertname="VideoLoss")))
    first = monitoring_incidents().get()
    post("alertmanager", am_payload(am_alert("line-1", alertname="LinkDown")))
    first.refresh_from_db()
    line_incident = monitoring_incidents().exclude(status="cancelled").get()
    assert line_incident.ci == estate["line"]
    assert first.status == "cancelled" and "line-1" in first.cancel_reason
    assert AlertRecord.objects.get(fingerprint="fp-cam-1-VideoLoss").incident == line_incident


# --- flood cap ------------------------------------------------------------------------------

def test_flood_cap_holds_back_and_retries_when_the_alert_repeats(am_source, post):
    am_source.max_incidents_per_minute = 3
    am_source.save()
    response = post("alertmanager", am_payload(*[am_alert(f"host-{n}") for n in range(10)]))
    assert response.json()["outcome"] == {"created": 3, "held": 7}
    assert monitoring_incidents().count() == 3
    window = FloodWindow.objects.get(rule_id=0)
    assert (window.opened, window.held) == (3, 7)
    assert AlertRecord.objects.filter(state=AlertState.HELD).count() == 7
    log = InboundLog.objects.get(outcome=InboundOutcome.ACCEPTED)
    assert log.held == 7 and log.created == 3
    # A minute later Alertmanager re-sends the group: three more get their incident.
    alerts = [Alert(fingerprint=f"fp-host-{n}-DeviceDown", firing=True, labels={"host": f"host-{n}"}, title="x")
              for n in range(10)]
    result = alerts_ingest(source=am_source, alerts=alerts, now=timezone.now() + timedelta(minutes=1))
    assert result.summary() == {"repeated": 3, "created": 3, "held": 4}
    assert monitoring_incidents().count() == 6


def test_per_rule_cap(am_source, post):
    AlertRule.objects.create(position=1, name="noisy", matchers={"job": "noisy"}, max_incidents_per_minute=2)
    post("alertmanager", am_payload(*[am_alert(f"n-{n}", job="noisy") for n in range(5)]))
    post("alertmanager", am_payload(*[am_alert(f"q-{n}") for n in range(3)]))
    assert monitoring_incidents().count() == 5  # 2 noisy + 3 others
    assert FloodWindow.objects.get(rule_id=AlertRule.objects.get().pk).held == 3


# --- Zabbix and generic events --------------------------------------------------------------

def zabbix_event(value: str = "1", update: str = "0", event_id: str = "4711") -> dict[str, str]:
    return {"event_id": event_id, "event_value": value, "event_update_status": update, "severity": "High",
            "host": "sw-1", "host_ip": "10.0.0.1", "subject": "Switch unreachable", "message": "ICMP ping lost",
            "tags": '[{"tag":"scope","value":"availability"}]', "event_time": "10:00:00", "url": "http://zbx/"}


def test_zabbix_problem_update_and_recovery(zabbix_source, estate, post):
    auth = ("zabbix", ZABBIX_PASSWORD)
    problem = post("zabbix", zabbix_event(), basic=auth)
    body = problem.json()
    incident = monitoring_incidents().get()
    assert body["incident"] == incident.number and body["tags"]["opsdesk"] == incident.number
    assert body["url"].endswith(f"/incidents/{incident.pk}/")
    assert incident.ci == estate["switch"] and incident.fault_level == "II"
    assert post("zabbix", zabbix_event(update="1"), basic=auth).json()["incident"] == incident.number
    assert post("zabbix", zabbix_event(), basic=auth).json()["action"] == "repeated"  # a retry
    recovery = post("zabbix", zabbix_event(value="0"), basic=auth).json()
    assert recovery["action"] == "resolved" and recovery["incident"] == incident.number
    assert monitoring_incidents().count() == 1
    assert AlertRecord.objects.get().labels["scope"] == "availability"


def test_zabbix_without_event_id_is_400(zabbix_source, post):
    response = post("zabbix", {"event_value": "1", "host": "h"}, basic=("zabbix", ZABBIX_PASSWORD))
    assert response.status_code == 400 and "event_id" in response.json()["detail"]


def test_generic_events_nagios_shape(events_source, estate, post):
    problem = {"host": "sw-1", "service": "PING", "state": "CRITICAL", "output": "PING CRITICAL - 100% loss"}
    response = post("events", problem, token=EVENTS_TOKEN)
    assert response.status_code == 200
    incident = monitoring_incidents().get()
    assert incident.ci == estate["switch"] and incident.fault_level == "II"
    post("events", problem, token=EVENTS_TOKEN)
    post("events", {"events": [{**problem, "state": "OK"}]}, token=EVENTS_TOKEN)
    record = AlertRecord.objects.get()
    assert record.fingerprint == "sw-1/PING" and record.count == 3 and record.state == AlertState.RESOLVED
    bad = post("events", {"host": "sw-1", "state": "SIDEWAYS"}, token=EVENTS_TOKEN)
    assert bad.status_code == 400 and "state" in bad.json()["detail"]


# --- admin and the incident page ------------------------------------------------------------

def test_admin_rule_test_shows_the_matching_rule_and_the_decision(am_source, estate, post, client):
    from tests.factories import UserFactory
    admin = UserFactory(username="root", role="manager", is_superuser=True, is_staff=True)
    client.force_login(admin)
    AlertRule.objects.create(position=1, name="Video network", matchers={"host": "cam-.*"})
    post("alertmanager", am_payload(am_alert("sw-1")))
    import json
    payload = json.dumps(am_payload(am_alert("cam-1"), am_alert("sw-1"), am_alert("lab", env="x")))
    response = client.post("/admin/monitoring/alertrule/test/", {"source": am_source.pk, "payload": payload})
    text = response.content.decode()
    assert response.status_code == 200
    assert "Video network" in text and "Joins" in text and "Repeat" in text
    assert client.post("/admin/monitoring/alertrule/test/", {"source": am_source.pk, "payload": "{"}).status_code == 200
    assert client.get("/admin/monitoring/inboundlog/").status_code == 200
    assert client.get("/admin/monitoring/alertrecord/").status_code == 200
    assert client.get("/admin/monitoring/alertsource/add/").status_code == 200


def test_incident_panel_lists_the_alerts(am_source, estate, post, client, operator, customer_a):
    post("alertmanager", am_payload(am_alert("sw-1"), am_alert("cam-1")))
    incident = monitoring_incidents().get()
    client.force_login(operator)
    page = client.get(f"/monitoring/panels/incident/{incident.pk}/").content.decode()
    assert "cam-1" in page and "sw-1" in page
    client.force_login(customer_a)
    assert client.get(f"/monitoring/panels/incident/{incident.pk}/").status_code in (403, 404)
