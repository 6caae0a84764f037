"""Demo data for `manage.py seed_demo` (settings.DEMO_SEEDERS): a monthly report schedule for each
demo organisation (published to its portal, mailed to its customer user) and one generated,
published monthly fault summary for the first organisation, so the archive and the portal have
something to show. Idempotent: does nothing if the schedules exist."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from accounts.models import Organization, User

from .models import ReportSchedule
from .services import default_pack, report_generate, report_publish, report_request, schedule_due_period, schedule_save

SCHEDULE_NAME = "月度报告 · %s"


def seed(*, now: Any, stdout: Any) -> None:
    if ReportSchedule.objects.filter(name__startswith="月度报告 · ").exists():
        stdout.write("reports: demo schedules present, skipped")
        return
    manager = User.objects.filter(username="manager").first() or User.objects.filter(is_superuser=True).first()
    if manager is None:
        return
    orgs = list(Organization.objects.order_by("id"))
    for org in orgs:
        contact = (User.objects.filter(organization=org, role="customer").exclude(email="")
                   .values_list("email", flat=True).first())
        schedule_save(actor=manager, name=SCHEDULE_NAME % org.name, organization=org, kinds=default_pack(),
                      recipients=contact or "", language="zh-hans", publish=True, is_active=True, now=now)
    stdout.write(f"reports: {len(orgs)} monthly schedules")
    first = next((o for o in orgs if o.code == "city-psb"), orgs[0] if orgs else None)
    if first is None or getattr(settings, "DEMO_SKIP_REPORTS", False):
        return
    run = report_request(actor=manager, kind="monthly_fault_summary", period=schedule_due_period(now).text,
                         organization=first, options={"summary": "本月系统运行总体平稳，主要故障已按时修复。"},
                         language="zh-hans", now=now)
    report_generate(run_id=run.pk, now=now)
    run.refresh_from_db()
    if run.status == "done":
        report_publish(run_id=run.pk, actor=manager, now=now)
    stdout.write(f"reports: monthly fault summary for {first.code} {run.period}: {run.status}")
