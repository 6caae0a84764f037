"""Demo releases for `manage.py seed_demo` (settings.DEMO_SEEDERS, after the changes seeder): for
city-psb, a scheduled release holding the scheduled demo change, a release being planned around the
changes still awaiting approval, and a verified release of the completed disk replacement (with
its deployment record). Through the services, so the histories are real. Idempotent: does nothing
when city-psb already has a release."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from accounts.models import Organization, User
from changes.models import Change

from .models import Release
from .services import deployment_record, release_create, release_transition


def seed(*, now: datetime, stdout: Any) -> None:
    org = Organization.objects.filter(code="city-psb").first()
    if org is None or Release.objects.filter(organization=org).exists():
        return
    users = {u.username: u for u in User.objects.filter(username__in=["manager", "engineer1"])}
    if len(users) < 2:
        return
    manager, engineer = users["manager"], users["engineer1"]
    changes = {c.status: c for c in Change.objects.filter(organization=org, planned_start__isnull=False)
               .order_by("planned_start")}
    made = 0
    scheduled = changes.get("scheduled")
    if scheduled is not None:
        assert scheduled.planned_start is not None and scheduled.planned_end is not None
        release = release_create(
            actor=manager, organization=org, title="视频专网安全加固", release_version="2026.11",
            description="本月安全加固：出口防火墙策略优化。", plan="1. 维护窗口开始前备份配置\n2. 按变更单实施\n"
            "3. 业务验证（视频调阅、专网访问）\n4. 异常时按回退方案恢复", planned_start=scheduled.planned_start,
            planned_end=scheduled.planned_end, changes=[scheduled], now=now - timedelta(days=1))
        release_transition(release_id=release.pk, actor=manager, action="schedule", now=now - timedelta(hours=20))
        made += 1
    pending = [c for status, c in changes.items() if status in ("cab_approval", "customer_approval", "assessed")]
    if pending:
        start = max(c.planned_end for c in pending if c.planned_end is not None) + timedelta(days=7)
        release_create(
            actor=manager, organization=org, title="视频平台与存储升级（第四季度版本）", release_version="2026.Q4",
            description="平台服务器补丁与存储控制器固件合并发布。", plan="先在测试环境验证，再分批上线生产。",
            planned_start=start, planned_end=start + timedelta(hours=4), changes=pending, now=now)
        made += 1
    done = changes.get("closed")
    if done is not None and done.planned_start is not None:
        start = done.planned_start
        release = release_create(
            actor=manager, organization=org, title="存储硬盘更换", release_version="hotfix-1",
            plan="热插拔更换 2 号盘位，观察阵列重建。", planned_start=start, planned_end=start + timedelta(hours=3),
            changes=[done], now=start - timedelta(days=1))
        for action in ("schedule", "start"):
            release_transition(release_id=release.pk, actor=manager, action=action, now=start)
        deployment_record(release_id=release.pk, actor=engineer, environment="production", site="市局机房",
                          started_at=start, finished_at=start + timedelta(hours=1), result="success",
                          notes="阵列重建完成，状态 Optimal。", now=start + timedelta(hours=1))
        release_transition(release_id=release.pk, actor=engineer, action="complete", now=start + timedelta(hours=1))
        release_transition(release_id=release.pk, actor=manager, action="verify", now=start + timedelta(hours=2),
                           payload={"verification_notes": "阵列状态 Optimal，业务读写正常。"})
        made += 1
    stdout.write(f"releases: {made} releases\n")
