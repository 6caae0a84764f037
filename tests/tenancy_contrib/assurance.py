"""Organisation A's assurance records for the tenancy walk and the access matrix: an emergency plan on
A's CI with a recorded drill (one finding), a backup job with a failed run and a scheduled restore
test. Customers of B get 404 on all of them; A's customer reads them read-only through the API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from accounts.choices import Role
from assurance.services import (
    backup_job_create,
    backup_run_record,
    drill_record,
    drill_schedule,
    plan_create,
    restore_test_schedule,
)
from tests.factories import UserFactory


def contribute(*, org_a: Any, customer_a: Any, ci: Any, incident: Any, contact: Any, operator: Any, engineer: Any,
               now: Any) -> dict[str, Any]:
    boss = UserFactory(username="alpha-assurance-boss", role=Role.MANAGER)
    plan = plan_create(actor=boss, organization=org_a, name="alpha-emergency-plan", scenario="alpha-plan-scenario",
                       steps=["alpha step"], rto_minutes=60, cis=[ci], now=now - timedelta(days=3))
    drill = drill_schedule(actor=boss, plan=plan, title="alpha-drill", scheduled_start=now - timedelta(days=2),
                           scheduled_end=now - timedelta(days=2) + timedelta(hours=2), now=now - timedelta(days=3))
    drill_record(drill_id=drill.pk, actor=boss, version=None, participants="alpha-drill-people", step_results=[],
                 recovery_minutes=30, findings=["alpha-drill-finding"], now=now - timedelta(days=1))
    job, _token = backup_job_create(actor=boss, ci=ci, name="alpha-backup-job", location="alpha-backup-host:/srv",
                                    now=now - timedelta(days=3))
    backup_run_record(job=job, actor=boss, outcome="failed", started_at=now - timedelta(hours=5),
                      message="alpha-backup-message", now=now - timedelta(hours=4))
    test = restore_test_schedule(actor=boss, job=job, scheduled_for=now.date(), now=now)
    return {"ids": {"emergency_plan": [plan.pk], "drill": [drill.pk], "backup_job": [job.pk],
                    "restore_test": [test.pk], "drill_finding": list(drill.findings.values_list("pk", flat=True))},
            "secrets": ["alpha-emergency-plan", "alpha-plan-scenario", "alpha-drill-people", "alpha-drill-finding",
                        "alpha-backup-job", "alpha-backup-host", "alpha-backup-message"],
            "params": {"finding": "drill_finding"}}
