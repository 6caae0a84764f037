"""Organisation A's inspection round for the tenancy walk: a plan on A's CI, its round with an
answer whose note only A's staff pages may show, and the plan and its checklist template (the
manager's pages; customers get 404 on every inspections route)."""

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
    # A manager's copy first: the matrix asks who may edit a copy (the seeded originals are read-only).
    copy = ChecklistTemplate.objects.create(code="alpha-spot-check-copy", name="alpha 抽查副本", form_name="抽查表",
                                            copied_from=template)
    return {"ids": {"inspection_round": [ticket.pk], "inspection_plan": [plan.pk],
                    "checklist_template": [copy.pk, template.pk]},
            "secrets": [ticket.number, "alpha-inspection-note", "alpha-inspection-plan"],
            "params": {}}
