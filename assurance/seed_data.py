"""Demo records for `manage.py seed_demo` (settings.DEMO_SEEDERS): an emergency plan of the first
organisation's core system with a recorded drill (one finding) and a scheduled one, and two backup
jobs — one healthy with a passed restore test, one whose last run failed. Idempotent."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from accounts.choices import Role
from accounts.models import Organization, SupportGroup
from cmdb.models import CI

from .choices import BackupMethod, RunOutcome, RunSource
from .models import EmergencyPlan
from .services import (
    backup_job_create,
    backup_run_record,
    drill_record,
    drill_schedule,
    plan_create,
    restore_test_record,
    restore_test_schedule,
)


def seed(*, now: datetime, stdout: Any) -> None:
    if EmergencyPlan.objects.exists():
        return
    org = Organization.objects.order_by("pk").first()
    manager = get_user_model().objects.filter(Q(role=Role.MANAGER) | Q(is_superuser=True), is_active=True).first()
    cis = list(CI.objects.filter(organization=org).order_by("pk")[:3]) if org else []
    if org is None or manager is None or not cis:
        return
    group = SupportGroup.objects.order_by("pk").first()
    today = timezone.localdate(now)
    plan = plan_create(
        actor=manager, organization=org, name="核心视频平台服务器宕机应急预案", group=group, cis=cis[:2],
        scenario="视频管理平台主服务器宕机，监控画面无法调阅。",
        steps=["值班工程师确认故障范围并上报项目经理", "切换至备用服务器并恢复视频管理服务",
               "从最近一次备份恢复配置数据库", "核对各路视频调阅正常，通知用户单位"],
        contacts="项目经理 138-0000-0000；值班电话 400-000-0000", rto_minutes=120, review_interval_months=6,
        last_reviewed_on=today - timedelta(days=150), now=now - timedelta(days=40))
    done = drill_schedule(actor=manager, plan=plan, title="2026年度视频平台切换演练",
                          scheduled_start=now - timedelta(days=30), scheduled_end=now - timedelta(days=30, hours=-3),
                          now=now - timedelta(days=35))
    drill_record(drill_id=done.pk, actor=manager, version=None, participants="张工、李工、王经理",
                 step_results=[{"step": 0, "done": True}, {"step": 1, "done": True},
                               {"step": 2, "done": True, "notes": "备份文件校验耗时较长"}, {"step": 3, "done": True}],
                 recovery_minutes=95, summary="切换顺利，数据库恢复步骤需优化。",
                 findings=["备用服务器的配置库恢复脚本缺少校验步骤"], now=now - timedelta(days=29))
    drill_schedule(actor=manager, plan=plan, title="季度备份恢复演练", scheduled_start=now + timedelta(days=10),
                   scheduled_end=now + timedelta(days=10, hours=2), now=now)
    healthy, _token = backup_job_create(
        actor=manager, ci=cis[0], name="视频平台配置库每日备份", method=BackupMethod.DB_DUMP, interval_hours=24,
        retention="30 天", location="backup01:/srv/backup/vms", group=group, now=now - timedelta(days=60))
    backup_run_record(job=healthy, actor=None, outcome=RunOutcome.OK, started_at=now - timedelta(hours=6),
                      finished_at=now - timedelta(hours=5, minutes=40), size_bytes=734_003_200,
                      source=RunSource.HOOK, now=now - timedelta(hours=5, minutes=40))
    test = restore_test_schedule(actor=manager, job=healthy, scheduled_for=today - timedelta(days=20),
                                 now=now - timedelta(days=25))
    restore_test_record(test_id=test.pk, actor=manager, passed=True, restored_what="配置库至测试服务器",
                        check_method="启动平台并调阅 5 路视频", duration_minutes=45,
                        performed_at=now - timedelta(days=20), now=now - timedelta(days=20))
    if len(cis) > 1:
        failing, _token = backup_job_create(
            actor=manager, ci=cis[1], name="存储服务器整机镜像", method=BackupMethod.DISK_TO_VHD, interval_hours=168,
            retention="4 份", location="NAS02:\\images", group=group, now=now - timedelta(days=30))
        backup_run_record(job=failing, actor=manager, outcome=RunOutcome.FAILED, started_at=now - timedelta(days=1),
                          message="目标磁盘空间不足", source=RunSource.MANUAL, now=now - timedelta(days=1))
    stdout.write("assurance: 1 emergency plan, 2 drills, backup jobs and a restore test\n")
