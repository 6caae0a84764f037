"""The demo data command seeds the assurance records once (a plan with a recorded drill and a
scheduled one, a healthy backup job with a passed restore test, a job whose last run failed)."""

from __future__ import annotations

import pytest

from assurance.models import BackupJob, BackupRun, Drill, EmergencyPlan, RestoreTest
from tests.test_seed import run

pytestmark = pytest.mark.django_db


def test_seed_demo_adds_assurance_records_once():
    run("seed_demo", incidents=20)
    assert EmergencyPlan.objects.count() == 1
    assert set(Drill.objects.values_list("status", flat=True)) == {"recorded", "scheduled"}
    assert BackupJob.objects.count() == 2 and RestoreTest.objects.filter(status="passed").count() == 1
    assert BackupRun.objects.filter(outcome="failed").count() == 1
    run("seed_demo", incidents=20)
    assert EmergencyPlan.objects.count() == 1 and BackupJob.objects.count() == 2
