"""CMDB objects of organisation A for the tenancy walk: a second CI related to A's CI (so impact,
relationship and history views have A's data to leak), a maintenance contract and a change."""

from __future__ import annotations

from datetime import date

from cmdb.models import CIChange
from cmdb.services import ci_create, ci_update, contract_create, relation_create


def contribute(*, org_a, customer_a, ci, incident, contact, operator, engineer, now) -> dict:
    contract = contract_create(organization=org_a, number="ALPHA-WB-0099", vendor="Alpha Maintenance Ltd",
                               starts_on=date(2025, 1, 1), ends_on=date(2027, 12, 31))
    app = ci_create(name="alpha-billing-app", ci_class=ci.ci_class, organization=org_a, serial="ALPHA-SN-4242",
                    asset_tag="ALPHA-TAG-7", actor=operator, now=now)
    ci_update(ci_id=ci.pk, actor=operator, changes={"site": "Alpha Reservoir Site", "contract": contract,
                                                    "warranty_end": date(2026, 12, 1)}, now=now)
    relation = relation_create(source=app, target=ci, type="runs_on", note="alpha uplink note", actor=operator,
                               now=now)
    changes = list(CIChange.objects.filter(ci__organization=org_a).values_list("pk", flat=True)[:3])
    return {
        "ids": {"ci": [app.pk], "relation": [relation.pk], "contract": [contract.pk], "cichange": changes},
        "secrets": ["alpha-billing-app", "ALPHA-SN-4242", "ALPHA-TAG-7", "ALPHA-WB-0099", "Alpha Maintenance Ltd",
                    "Alpha Reservoir Site", "alpha uplink note"],
        "params": {"relation": "relation"},
    }
