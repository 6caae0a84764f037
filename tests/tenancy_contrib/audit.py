"""Organisation A's daily audit anchor for the tenancy walk: customer B must never see its digest
(portal history page, /api/v1/audit/anchors/)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from tickets.anchors import audit_anchor_create


def contribute(*, org_a: Any, customer_a: Any, ci: Any, incident: Any, contact: Any, operator: Any, engineer: Any,
               now: Any) -> dict[str, Any]:
    anchor = audit_anchor_create(organization=org_a, day=timezone.localdate(now) - timedelta(days=1), now=now)
    return {"ids": {"audit_anchor": [anchor.pk]}, "secrets": [anchor.digest], "params": {}}
