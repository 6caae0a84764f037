"""Demo data (settings.DEMO_SEEDERS): the plan's checklist templates, a plan per kind for the first
demo organisation, and a round due today for the demo engineer."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.choices import Role
from accounts.models import Organization, SupportGroup
from spares.models import Storeroom

from .models import ChecklistTemplate, InspectionPlan, InspectionRound
from .services import ITEM_FIELDS, rounds_generate, template_copy, template_update
from .templates_data import install

PLANS = [
    ("monthly-system", "monthly", "nth_working_day", 1, 0, None),
    ("quarterly-lines", "quarterly", "nth_working_day", 3, 0, None),
    ("quarterly-maintenance", "quarterly", "nth_working_day", 5, 0, None),
    ("quarterly-camera-cleaning", "quarterly", "nth_working_day", 8, 0, None),
    ("half-yearly-lightning", "half_yearly", "nth_working_day", 10, 0, None),
    ("weekly-spot-check", "weekly", "nth_weekday", 1, 0, 5),
    ("spares-store-check", "quarterly", "nth_weekday", 1, 0, None),
]


def seed(*, now: datetime, stdout: Any) -> None:
    install(apps)
    org = Organization.objects.order_by("pk").first()
    if org is None or InspectionPlan.objects.exists():
        return
    today = timezone.localdate(now)
    engineer = get_user_model().objects.filter(role=Role.ENGINEER, is_active=True).order_by("pk").first()
    group = SupportGroup.objects.filter(members=engineer).first() if engineer else None
    group = group or SupportGroup.objects.order_by("pk").first()
    store = Storeroom.objects.filter(is_active=True).order_by("pk").first()
    for code, frequency, rule, nth, weekday, sample in PLANS:
        template = ChecklistTemplate.objects.get(code=code)
        if template.scope == "store" and store is None:
            continue
        InspectionPlan.objects.create(
            name=template.name, template=template, organization=org, frequency=frequency, day_rule=rule, nth=nth,
            weekday=weekday, sample_size=sample, group=group, storeroom=store if template.scope == "store" else None,
            starts_on=today.replace(day=1) - timedelta(days=200), created_at=now, due_working_days=5)
    rounds_generate(now=now)
    # The demo engineer's round due today (the monthly system inspection).
    plan = InspectionPlan.objects.filter(template__code="monthly-system").first()
    ticket = InspectionRound.objects.filter(plan=plan, period_start__lte=today, period_end__gte=today).first()
    if ticket is not None and engineer is not None:
        due = datetime.combine(today + timedelta(days=1), time.min, tzinfo=timezone.get_current_timezone())
        InspectionRound.objects.filter(pk=ticket.pk).update(assignee=engineer, due_at=due, scheduled_for=today)
    # The manager's own copy of the spot check, edited on the templates page (its change history shows it).
    manager = get_user_model().objects.filter(role=Role.MANAGER, is_active=True).order_by("pk").first()
    if manager is not None:
        spot = ChecklistTemplate.objects.get(code="weekly-spot-check")
        copy = template_copy(template_id=spot.pk, actor=manager, now=now)
        items = [{"id": i.pk, **{f: getattr(i, f) for f in ITEM_FIELDS}} for i in copy.items.order_by("position")]
        items.append({"id": None, "text": "机箱温度", "text_en": "Cabinet temperature", "kind": "reading",
                      "unit": "°C", "min_value": Decimal("0"), "max_value": Decimal("45"), "photo_required": False})
        template_update(template_id=copy.pk, actor=manager, header={}, items=items, now=now)
    stdout.write(f"Inspections: {InspectionPlan.objects.count()} plans, {InspectionRound.objects.count()} rounds"
                 + (f"; {ticket.number} due today for {engineer.username}." if ticket and engineer else "."))
