"""The customer's read-only page of its assurance records (/portal/assurance/): its own plans, drills and
backup jobs with their flags; another organisation's records are absent; staff get a 404; internal fields
(storage location, responsible group, job token) never show; the page is in Chinese for a Chinese user."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.choices import Role
from assurance.services import (
    backup_job_create,
    drill_record,
    drill_schedule,
    plan_create,
    restore_test_record,
    restore_test_schedule,
)
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def page(user, lang: str = "zh-hans") -> tuple[int, str]:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    client.cookies["django_language"] = lang
    response = client.get("/portal/assurance/")
    return response.status_code, response.content.decode()


def test_customer_sees_its_own_plans_drills_and_backups_only(org, other_org, grp, eng, server, other_server,
                                                             customer, other_customer):
    now = timezone.now()
    plan = plan_create(actor=eng, organization=org, name="视频平台宕机预案", scenario="主服务器宕机",
                       steps=["确认故障", "切换备机"], rto_minutes=60, group=grp, cis=[server],
                       last_reviewed_on=(now - timedelta(days=400)).date(), review_interval_months=12, now=now)
    drill = drill_schedule(actor=eng, plan=plan, title="年度切换演练", scheduled_start=now - timedelta(days=10),
                           scheduled_end=now - timedelta(days=10) + timedelta(hours=2), now=now - timedelta(days=20))
    drill_record(drill_id=drill.pk, actor=eng, version=drill.version, participants="张工",
                 step_results=[{"step": 0, "done": True}, {"step": 1, "done": True}], recovery_minutes=75,
                 summary="备机切换完成", now=now - timedelta(days=9))
    job, token = backup_job_create(actor=eng, ci=server, name="配置库每日备份", location="nas://secret-share/vms",
                                   group=grp, now=now - timedelta(days=5))
    test = restore_test_schedule(actor=eng, job=job, scheduled_for=(now - timedelta(days=2)).date(), now=now)
    restore_test_record(test_id=test.pk, actor=eng, passed=True, restored_what="配置库", check_method="比对记录数",
                        duration_minutes=20, performed_at=now - timedelta(days=2), now=now)
    other_plan = plan_create(actor=eng, organization=other_org, name="交通信号预案", scenario="x", rto_minutes=30,
                             group=grp, cis=[other_server], now=now)
    backup_job_create(actor=eng, ci=other_server, name="交通库备份", group=grp, now=now)

    status, html = page(customer)
    assert status == 200
    for shown in ("视频平台宕机预案", "年度切换演练", "配置库每日备份", server.name, "评审已逾期", "未达到目标",
                  "备份已逾期"):
        assert shown in html, shown
    assert "恢复用时 75 分钟" in html  # the recorded drill, against its 60-minute objective
    for hidden in (other_plan.name, "交通库备份", "nas://secret-share", grp.name, token):
        assert hidden not in html, hidden
    # The other organisation sees its own, and none of ours.
    status, html = page(other_customer, "en")
    assert status == 200 and "交通信号预案" in html and "视频平台宕机预案" not in html
    # Its auditor reads it too; staff have no portal (404).
    auditor = UserFactory(username="aud-portal", role=Role.AUDITOR, organization=org)
    assert page(auditor)[0] == 200
    assert page(eng)[0] == 404
