from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from cmdb.services import relation_create
from monitoring.choices import AuthScheme, SourceKind
from monitoring.services import alert_source_create
from tests.factories import CIClassFactory, CIFactory, UserFactory

TOKEN = "test-alertmanager-token-0123456789"
ZABBIX_PASSWORD = "test-zabbix-secret-0123456789"
EVENTS_TOKEN = "test-events-token-0123456789"


@pytest.fixture
def am_source(org_a):
    return alert_source_create(name="AM", kind=SourceKind.ALERTMANAGER, organization=org_a, secret=TOKEN)[0]


@pytest.fixture
def zabbix_source(org_a):
    return alert_source_create(name="Zabbix", kind=SourceKind.ZABBIX, organization=org_a, auth_scheme=AuthScheme.BASIC,
                               username="zabbix", secret=ZABBIX_PASSWORD)[0]


@pytest.fixture
def events_source(org_a):
    return alert_source_create(name="Nagios", kind=SourceKind.EVENTS, organization=org_a, secret=EVENTS_TOKEN)[0]


@pytest.fixture
def estate(org_a, db):
    """A line, a switch on it, and four cameras on the switch (camera connects_to switch)."""
    actor = UserFactory(username="cmdb-admin", role="manager")
    net = CIClassFactory(code="switch", name="Switch")
    cam = CIClassFactory(code="camera", name="Camera")
    line = CIFactory(name="line-1", organization=org_a, ci_class=net)
    switch = CIFactory(name="sw-1", organization=org_a, ci_class=net, attributes={"mgmt_ip": "10.0.0.1"},
                       asset_tag="AT-SW-1")
    cameras = [CIFactory(name=f"cam-{n}", organization=org_a, ci_class=cam) for n in range(1, 5)]
    relation_create(source=switch, target=line, type="connects_to", actor=actor)
    for camera in cameras:
        relation_create(source=camera, target=switch, type="connects_to", actor=actor)
    return {"line": line, "switch": switch, "cameras": cameras}


def am_alert(host: str, *, status: str = "firing", fingerprint: str | None = None, severity: str = "critical",
             alertname: str = "DeviceDown", **labels: str) -> dict[str, Any]:
    return {
        "status": status, "labels": {"alertname": alertname, "host": host, "severity": severity, **labels},
        "annotations": {"summary": f"{host} is down"}, "startsAt": "2026-12-06T10:00:00+08:00",
        "endsAt": "2026-12-06T10:30:00+08:00" if status == "resolved" else "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus:9090/graph", "fingerprint": fingerprint or f"fp-{host}-{alertname}",
    }


def am_payload(*alerts: dict[str, Any], status: str = "firing") -> dict[str, Any]:
    return {"receiver": "opsdesk", "status": status, "alerts": list(alerts), "groupLabels": {}, "commonLabels": {},
            "commonAnnotations": {}, "externalURL": "http://alertmanager:9093", "version": "4",
            "groupKey": "{}:{}", "truncatedAlerts": 0}


@pytest.fixture
def post() -> Callable[..., Any]:
    client = Client()

    def send(path: str, body: Any, *, token: str | None = TOKEN, basic: tuple[str, str] | None = None,
             raw: bytes | None = None) -> Any:
        headers = {}
        if basic is not None:
            headers["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(f"{basic[0]}:{basic[1]}".encode()).decode()
        elif token is not None:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        data = raw if raw is not None else json.dumps(body).encode()
        return client.post(f"/api/v1/integrations/{path}/", data=data, content_type="application/json", **headers)

    return send
