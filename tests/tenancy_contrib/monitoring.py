"""Organisation A's monitoring alert for the tenancy walk: an alert record feeding A's incident,
shown on that incident's "Monitoring alerts" panel (customers of B must never see it)."""

from __future__ import annotations

from typing import Any

from monitoring.models import AlertRecord
from monitoring.services import alert_source_create


def contribute(*, org_a: Any, customer_a: Any, ci: Any, incident: Any, contact: Any, operator: Any, engineer: Any,
               now: Any) -> dict[str, Any]:
    source, _secret = alert_source_create(name="Alpha Prometheus", kind="alertmanager", organization=org_a)
    record = AlertRecord.objects.create(
        source=source, fingerprint="alpha-fp-1", state="firing", title="Alpha chiller offline",
        labels={"host": "alpha-chiller"}, organization=org_a, ci=ci, incident=incident, first_seen=now, last_seen=now,
    )
    return {"ids": {"alert_record": [record.pk]}, "secrets": ["Alpha chiller offline", "Alpha Prometheus"],
            "params": {}}
