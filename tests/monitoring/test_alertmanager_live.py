"""The real Prometheus Alertmanager (Debian's prometheus-alertmanager) on loopback, its webhook
pointed at the live server: alerts posted to its API become one correlated incident, its re-sends
are deduplicated, and the recoveries it sends restore the incident."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from incidents.models import Incident
from incidents.services import incident_transition
from monitoring.choices import AlertState, OnRecovery
from monitoring.models import AlertRecord, AlertRule

from .conftest import TOKEN

BINARY = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(BINARY is None, reason="prometheus-alertmanager is not installed (scripts/test installs it)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def alertmanager(live_server, tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    config = tmp_path / "alertmanager.yml"
    config.write_text(f"""
route:
  receiver: opsdesk
  group_by: ["..."]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 2s
receivers:
  - name: opsdesk
    webhook_configs:
      - url: {live_server.url}/api/v1/integrations/alertmanager/
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: {TOKEN}
""")
    proc = subprocess.Popen(
        [BINARY, f"--config.file={config}", f"--storage.path={tmp_path / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=", "--log.level=warn"],
        stdout=subprocess.DEVNULL, stderr=(tmp_path / "am.log").open("w"),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: _ready(url), timeout=15, what="Alertmanager to start")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as r:
            return bool(r.status == 200)
    except OSError:
        return False


def _wait(check: Callable[[], Any], *, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    state = [(r.fingerprint[:6], r.ci_id, r.state, r.incident_id, r.count) for r in AlertRecord.objects.all()]
    incidents = list(Incident.objects.values_list("pk", "ci_id", "status", "restored_at"))
    raise AssertionError(f"timed out waiting for {what}: alerts {state}, incidents {incidents}")


def live_incidents() -> Any:
    return Incident.objects.filter(channel="monitoring").exclude(status="cancelled")


def _post_alerts(url: str, alerts: list[dict[str, Any]]) -> None:
    request = urllib.request.Request(f"{url}/api/v2/alerts", data=json.dumps(alerts).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as r:
        assert r.status == 200


def _alert(host: str, alertname: str, *, ends: datetime | None = None) -> dict[str, Any]:
    alert: dict[str, Any] = {"labels": {"alertname": alertname, "host": host, "severity": "critical"},
                             "annotations": {"summary": f"{host}: {alertname}"},
                             "generatorURL": "http://prometheus.example/graph"}
    if ends is not None:
        alert["endsAt"] = ends.isoformat()
    return alert


def test_real_alertmanager_creates_deduplicates_correlates_and_restores(alertmanager, am_source, estate, dispatcher,
                                                                        engineer):
    AlertRule.objects.create(position=1, name="video network", matchers={"host": "(sw|cam)-.*"},
                             on_recovery=OnRecovery.RESTORE)
    cameras = [c.name for c in estate["cameras"]]
    firing = [_alert(name, "VideoLoss") for name in cameras] + [_alert("sw-1", "DeviceDown")]
    _post_alerts(alertmanager, firing)

    # Grouped by all labels, each alert is its own webhook, in any order: the switch's incident
    # ends up with all five alerts (cameras that came first had their own incident cancelled).
    _wait(lambda: AlertRecord.objects.filter(incident__ci=estate["switch"]).count() == 5, timeout=20,
          what="the five alerts to reach OpsDesk and correlate")
    incident = live_incidents().get()
    assert incident.ci == estate["switch"]
    assert AlertRecord.objects.filter(incident=incident, correlated=True).count() == 4

    # Alertmanager re-sends the whole group (repeat_interval 2s): counted, never a new incident.
    _wait(lambda: AlertRecord.objects.filter(count__gte=2).count() == 5, timeout=20,
          what="Alertmanager's re-send of the group")
    assert live_incidents().count() == 1

    # The engineer is on it; then everything recovers: Alertmanager sends "resolved".
    now = datetime.now(UTC)
    incident_transition(incident_id=incident.pk, actor=dispatcher, action="assign",
                        payload={"assignee": engineer.pk}, now=now)
    incident_transition(incident_id=incident.pk, actor=engineer, action="accept", now=now)
    ended = now - timedelta(seconds=1)
    _post_alerts(alertmanager, [{**a, "endsAt": ended.isoformat()} for a in firing])
    _wait(lambda: Incident.objects.filter(pk=incident.pk, restored_at__isnull=False).exists(), timeout=20,
          what="the recovery to restore the incident")
    assert AlertRecord.objects.filter(state=AlertState.RESOLVED).count() == 5
    incident.refresh_from_db()
    assert incident.status == "in_progress" and incident.resolved_at is None
    assert live_incidents().count() == 1
