"""The shipped integration files run against the live server: the Zabbix media type's JavaScript
(with Zabbix's parameter shape, under node with Zabbix's HttpRequest/Zabbix globals doing real
HTTP) and the Nagios notify script."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from incidents.models import Incident
from monitoring.choices import AlertState
from monitoring.models import AlertRecord
from tickets.models import Comment

from .conftest import EVENTS_TOKEN, ZABBIX_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
MEDIA_TYPE = ROOT / "integrations" / "zabbix" / "opsdesk_mediatype.yaml"
NAGIOS = ROOT / "integrations" / "nagios" / "notify_opsdesk.sh"
pytestmark = pytest.mark.django_db(transaction=True)


def _zabbix_params(live_url: str, **expanded: str) -> dict[str, str]:
    """The media type's parameters as Zabbix hands them to the script: every value a string, the
    macros expanded (those left as written are what Zabbix sends when a macro has no value)."""
    media = yaml.safe_load(MEDIA_TYPE.read_text())["zabbix_export"]["media_types"][0]
    params = {p["name"]: p["value"] for p in media["parameters"]}
    params.update(opsdesk_url=live_url, opsdesk_user="zabbix", opsdesk_secret=ZABBIX_PASSWORD)
    params.update(expanded)
    return params


def _run_media_type(tmp_path: Path, params: dict[str, str]) -> dict[str, str]:
    media = yaml.safe_load(MEDIA_TYPE.read_text())["zabbix_export"]["media_types"][0]
    script = tmp_path / "script.js"
    script.write_text(media["script"])
    out = subprocess.run(["node", str(Path(__file__).with_name("zabbix_shim.js")), str(script), json.dumps(params)],
                         capture_output=True, text=True, timeout=30, check=True)
    return json.loads(out.stdout)


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed (scripts/test installs nodejs)")
def test_zabbix_media_type_problem_update_recovery_and_tags(live_server, zabbix_source, estate, tmp_path):
    media = yaml.safe_load(MEDIA_TYPE.read_text())["zabbix_export"]["media_types"][0]
    assert media["type"] == "WEBHOOK" and media["process_tags"] == "YES"
    problem = {"event_id": "90210", "event_value": "1", "event_update_status": "0", "severity": "4",
               "host": "sw-1", "host_ip": "10.0.0.1", "subject": "sw-1 unreachable", "message": "ICMP ping lost",
               "tags": '[{"tag":"scope","value":"availability"},{"tag":"site","value":"HQ"}]',
               "event_time": "2026.12.06 10:00:00", "url": "{$ZABBIX.URL}/tr_events.php?eventid=90210"}
    answer = _run_media_type(tmp_path, _zabbix_params(live_server.url, **problem))
    assert "error" not in answer, answer
    tags = json.loads(answer["ok"])["tags"]
    incident = Incident.objects.get(channel="monitoring")
    assert tags == {"opsdesk": incident.number, "opsdesk_url": f"{tags['opsdesk_url'].split('/incidents/')[0]}"
                    f"/incidents/{incident.pk}/"}
    assert incident.ci == estate["switch"] and incident.fault_level == "II"  # Zabbix "High"
    record = AlertRecord.objects.get()
    assert record.labels["site"] == "HQ" and record.generator_url == ""  # unexpanded macro dropped

    # An acknowledgement (update) and a retry of the problem: the same incident, counted.
    update = _run_media_type(tmp_path, _zabbix_params(live_server.url, **{**problem, "event_update_status": "1"}))
    assert json.loads(update["ok"])["tags"]["opsdesk"] == incident.number
    recovery = _run_media_type(tmp_path, _zabbix_params(live_server.url, **{**problem, "event_value": "0"}))
    assert json.loads(recovery["ok"])["tags"]["opsdesk"] == incident.number
    record.refresh_from_db()
    assert record.state == AlertState.RESOLVED and record.count == 3
    assert Incident.objects.filter(channel="monitoring").count() == 1

    # A wrong secret: the script fails with OpsDesk's message (Zabbix shows it and retries).
    failed = _run_media_type(tmp_path, {**_zabbix_params(live_server.url, **problem), "opsdesk_secret": "wrong"})
    assert "HTTP 401" in failed["error"]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed (scripts/test installs nodejs)")
def test_zabbix_media_type_with_a_queued_source(live_server, zabbix_source, estate, tmp_path):
    """Queued mode: OpsDesk answers 202 before the incident exists. The script still succeeds (Zabbix
    does not retry), the tags name the queued item and its admin page; the worker then opens the
    incident and records its number on the item; the recovery is queued and processed in order."""
    from monitoring.choices import InboxState, IngestMode
    from monitoring.inbox import inbox_process
    from monitoring.models import InboxItem

    zabbix_source.ingest_mode = IngestMode.QUEUED
    zabbix_source.save()
    problem = {"event_id": "777", "event_value": "1", "event_update_status": "0", "severity": "4", "host": "sw-1",
               "host_ip": "10.0.0.1", "subject": "sw-1 unreachable", "message": "ICMP ping lost",
               "tags": "[]", "event_time": "2026.12.06 10:00:00", "url": ""}
    answer = _run_media_type(tmp_path, _zabbix_params(live_server.url, **problem))
    assert "error" not in answer, answer
    item = InboxItem.objects.get()
    tags = json.loads(answer["ok"])["tags"]
    assert tags == {"opsdesk": f"queued-{item.pk}",
                    "opsdesk_url": f"{tags['opsdesk_url'].split('/admin/')[0]}/admin/monitoring/inboxitem/{item.pk}/change/"}
    assert not Incident.objects.exists()
    # Zabbix retrying the same message while it waits: not queued twice, still a success for Zabbix.
    retry = _run_media_type(tmp_path, _zabbix_params(live_server.url, **problem))
    assert "error" not in retry and json.loads(retry["ok"])["tags"] == {}
    assert inbox_process() == {"done": 1}
    item.refresh_from_db()
    incident = Incident.objects.get(channel="monitoring")
    assert item.state == InboxState.DONE and item.incident_number == incident.number
    assert incident.ci == estate["switch"]
    recovery = _run_media_type(tmp_path, _zabbix_params(live_server.url, **{**problem, "event_value": "0"}))
    assert json.loads(recovery["ok"])["tags"]["opsdesk"].startswith("queued-")
    assert inbox_process() == {"done": 1}
    assert AlertRecord.objects.get().state == AlertState.RESOLVED


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is needed by the Nagios script")
def test_nagios_notify_script(live_server, events_source, estate):
    def notify(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["sh", str(NAGIOS), "-u", live_server.url, "-t", EVENTS_TOKEN, *args],
                              capture_output=True, text=True, timeout=30)

    output = 'PING CRITICAL - Packet loss = 100%, "quoted"\nsecond line'
    problem = notify("-H", "sw-1", "-S", "PING", "-s", "CRITICAL", "-o", output, "-n", "PROBLEM")
    assert problem.returncode == 0, problem.stderr
    assert json.loads(problem.stdout)["action"] == "created"
    incident = Incident.objects.get(channel="monitoring")
    assert incident.ci == estate["switch"] and "second line" not in incident.description  # staff-only below
    assert Comment.objects.get(ticket_kind="incident", ticket_id=incident.pk, public=False).body.count("second line") == 1
    assert notify("-H", "sw-1", "-S", "PING", "-s", "CRITICAL", "-n", "PROBLEM").returncode == 0
    assert notify("-H", "sw-1", "-S", "PING", "-s", "CRITICAL", "-n", "ACKNOWLEDGEMENT").returncode == 0
    recovery = notify("-H", "sw-1", "-S", "PING", "-s", "OK", "-o", "PING OK", "-n", "RECOVERY")
    assert json.loads(recovery.stdout)["action"] == "resolved"
    record = AlertRecord.objects.get()
    assert (record.fingerprint, record.count, record.state) == ("sw-1/PING", 3, AlertState.RESOLVED)
    wrong = subprocess.run(["sh", str(NAGIOS), "-u", live_server.url, "-t", "wrong", "-H", "x", "-s", "DOWN"],
                           capture_output=True, text=True, timeout=30)
    assert wrong.returncode == 2 and "401" in wrong.stderr
