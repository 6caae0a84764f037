"""What a change puts at risk: the CIs and business services that depend, transitively, on the
CIs it touches (the CMDB's recursive impact analysis, one SQL query)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cmdb.models import CI
from cmdb.selectors import ci_impact_result

IMPACT_ROWS = 50


def change_impact(*, user: Any, cis: Sequence[CI], limit: int = IMPACT_ROWS) -> Any:
    """ImpactResult (rows: services first, then by depth; total; services) for the change's CIs."""
    return ci_impact_result(ci_ids=[ci.pk for ci in cis], user=user, limit=limit)
