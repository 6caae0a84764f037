"""Organisation A's inspection round for the tenancy walk: a plan on A's CI, its round with an
answer whose note only A's staff pages may show (customers get 404 on every inspections route)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from django.apps import apps

from inspections.models import ChecklistItem, ChecklistTemplate, InspectionPlan, InspectionRound
from inspections.services import answer_record, rounds_generate
from inspections.templates_data import install


def contribute(*, org_a: Any, customer_a: Any, ci: Any, incident: Any, contact: Any, operator: Any, engineer: Any,
               now: Any) -> dict[str, Any]:
    install(apps)
    template = ChecklistTemplate.objects.get(code="weekly-spot-check")
    plan = InspectionPlan.objects.create(name="alpha-inspection-plan", template=template, organization=org_a,
                                         frequency="weekly", starts_on=date(2020, 1, 1), created_at=now)
    plan.cis.set([ci])
    rounds_generate(now=now, plan_ids=[plan.pk], until=date(now.year + 1, 1, 31))
    ticket = InspectionRound.objects.filter(plan=plan).order_by("period_start").first()
    item = ChecklistItem.objects.filter(template=template, kind="pass_fail").first()
    answer_record(round_id=ticket.pk, actor=engineer, now=now, data={
        "uuid": str(uuid.uuid4()), "ci": ci.pk, "item": item.pk, "passed": True, "note": "alpha-inspection-note"})
    return {"ids": {"inspection_round": [ticket.pk]}, "secrets": [ticket.number, "alpha-inspection-note"],
            "params": {}}
