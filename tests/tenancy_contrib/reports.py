"""Organisation A's reports for the tenancy walk: a published monthly summary (its customer may
download it, customer B must not see it), an unpublished one, and a monthly schedule."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from accounts.choices import Role
from reports.services import report_generate, report_publish, report_request, schedule_save
from tests.factories import UserFactory


def contribute(*, org_a: Any, customer_a: Any, ci: Any, incident: Any, contact: Any, operator: Any, engineer: Any,
               now: Any) -> dict[str, Any]:
    boss = UserFactory(username="alpha_report_boss", role=Role.MANAGER)
    local = timezone.localtime(now)
    month = f"{local.year:04d}-{local.month:02d}"
    runs = []
    for published in (True, False):
        run = report_request(actor=boss, kind="monthly_fault_summary", period=month, organization=org_a,
                             options={"summary": "Alpha secret operations summary"}, language="en", now=now)
        report_generate(run_id=run.pk, now=now)
        if published:
            report_publish(run_id=run.pk, actor=boss, now=now)
        runs.append(run.pk)
    schedule = schedule_save(actor=boss, name="Alpha waterworks monthly pack", organization=org_a,
                             kinds=["monthly_fault_summary"], recipients="alpha-chief@alpha.example",
                             language="en", publish=True, is_active=True, now=now)
    return {
        "ids": {"report_run": runs, "report_schedule": [schedule.pk]},
        "secrets": ["Alpha waterworks monthly pack", "alpha-chief@alpha.example", "Alpha secret operations summary"],
        "params": {},
    }
