"""Organisation A's warranty return (RMA) of its CI and its service contract, for the tenancy walk."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from accounts.models import ServiceContract
from cmdb.models import CI
from spares.services import rma_create


def contribute(*, org_a: Any, customer_a: Any, ci: Any, incident: Any, contact: Any, operator: Any, engineer: Any,
               now: Any) -> dict[str, Any]:
    today = now.date()
    CI.objects.filter(pk=ci.pk).update(warranty_end=today + timedelta(days=365), vendor="Alpha Pumps Ltd")
    ci.refresh_from_db()
    rma = rma_create(ci=ci, actor=engineer, now=now, sent_on=today, fault="Alpha impeller seized",
                     vendor_ref="ALPHA-RMA-4411")
    ServiceContract.objects.create(organization=org_a, number="ALPHA-YW-2026", starts_on=today - timedelta(days=10),
                                   ends_on=today + timedelta(days=300), service_level="Alpha 7x24")
    return {"ids": {"rma": [rma.pk]}, "secrets": ["Alpha impeller seized", "ALPHA-RMA-4411"], "params": {}}
