"""The demo seeder (settings.DEMO_SEEDERS): a plan per seeded template and a round due today for
the demo engineer; running it again adds nothing."""

from __future__ import annotations

import io

from django.utils import timezone

from accounts.choices import Role
from inspections.models import ChecklistTemplate, InspectionPlan, InspectionRound, SetupChange
from inspections.seed_data import seed
from spares.services import storeroom_create
from tests.factories import UserFactory


def test_demo_seeder(org, eng, group):
    storeroom_create(actor=eng, name="备件库", code="demo-store")
    UserFactory(username="demo-pm", role=Role.MANAGER)
    now = timezone.now()
    out = io.StringIO()
    seed(now=now, stdout=out)
    assert InspectionPlan.objects.count() == 7
    today = timezone.localdate(now)
    mine = InspectionRound.objects.get(assignee=eng, scheduled_for=today, plan__template__code="monthly-system")
    assert mine.is_open and timezone.localtime(mine.due_at).date() == today + timezone.timedelta(days=1)
    assert mine.number in out.getvalue()
    rounds = InspectionRound.objects.count()
    seed(now=now, stdout=io.StringIO())
    assert InspectionRound.objects.count() == rounds and InspectionPlan.objects.count() == 7
    # The manager's edited copy of the spot check (the template pages show it with its history).
    copy = ChecklistTemplate.objects.get(copied_from__code="weekly-spot-check")
    assert copy.items.filter(is_active=True).last().text == "机箱温度"
    assert SetupChange.objects.filter(template=copy).count() == 2
