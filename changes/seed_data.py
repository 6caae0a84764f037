"""Demo data of changes for `manage.py seed_demo` (settings.DEMO_SEEDERS): a weekly CAB and an
emergency CAB (lead, manager, analyst), two standard change templates, a freeze window (the
Spring Festival), weekly maintenance windows, and changes in various states — a draft, one with the
CAB, one awaiting the customer, a scheduled one and a closed one. Idempotent: does nothing when the
weekly CAB exists. Everything goes through the services, so the histories are real."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.utils import timezone

from accounts.models import Contact, Organization, User
from cmdb.models import CI

from .choices import CABRule, ChangeType, WindowKind
from .models import CAB, ChangeTemplate, FreezeWindow, MaintenanceWindow
from .services import change_create, change_transition

WEEKLY_CAB = "每周变更咨询委员会 (CAB)"
ANSWERS_MEDIUM = {"service_impact": "group", "outage": "short", "experience": "once", "backout": "easy",
                  "tested": "yes"}
ANSWERS_HIGH = {"service_impact": "all", "outage": "long", "experience": "once", "backout": "hard",
                "tested": "partly"}


def _next_saturday(now: datetime, weeks: int = 1) -> datetime:
    local = timezone.localtime(now)
    days = (5 - local.weekday()) % 7 or 7
    day = local.date() + timedelta(days=days + 7 * (weeks - 1))
    return datetime.combine(day, time(1, 0), tzinfo=local.tzinfo)


def seed(*, now: datetime, stdout: Any) -> None:
    if CAB.objects.filter(name=WEEKLY_CAB).exists():
        return
    users = {u.username: u for u in User.objects.filter(
        username__in=["lead", "manager", "analyst", "engineer1", "engineer2"])}
    if len(users) < 5:
        return
    members = [users["lead"], users["manager"], users["analyst"]]
    cab = CAB.objects.create(name=WEEKLY_CAB, rule=CABRule.QUORUM, quorum=2)
    cab.members.set(members)
    emergency = CAB.objects.create(name="紧急变更委员会 (ECAB)", rule=CABRule.QUORUM, quorum=1, is_emergency=True)
    emergency.members.set(members[:2])
    disk = ChangeTemplate.objects.create(
        name="更换故障硬盘（热插拔）", risk="low", customer_preapproved=True,
        description="RAID 阵列中单块故障硬盘的热插拔更换。",
        implementation_plan="1. 确认故障盘位置\n2. 热插拔更换\n3. 观察阵列重建", backout_plan="重新插回原硬盘，联系厂商。",
        test_plan="阵列状态恢复为 Optimal。")
    ChangeTemplate.objects.create(
        name="摄像机固件例行升级", risk="low", customer_preapproved=False,
        implementation_plan="按厂商升级包逐台升级，每台升级后确认画面。", backout_plan="回刷上一版本固件。",
        test_plan="平台可正常调阅实时视频与录像。")
    year = timezone.localtime(now).year + 1
    tz = timezone.get_current_timezone()
    FreezeWindow.objects.create(
        name=f"{year} 春节保障期（封网）", start=datetime(year, 2, 10, tzinfo=tz), end=datetime(year, 2, 20, tzinfo=tz),
        blocking=True, reason="春节期间重要保障，非紧急变更一律不得实施。")
    orgs = list(Organization.objects.filter(code__in=["city-psb", "hospital-1", "gov-dc"]).order_by("code"))
    for org in orgs:
        MaintenanceWindow.objects.create(organization=org, name="周六凌晨维护窗口", kind=WindowKind.WEEKLY, weekday=5,
                                         start_time=time(0, 0), end_time=time(6, 0), blocking=False)
    org = next((o for o in orgs if o.code == "city-psb"), orgs[0] if orgs else None)
    if org is None:
        return
    cis = list(CI.objects.filter(organization=org).order_by("id")[:4])
    contact = Contact.objects.filter(organization=org, is_active=True).exclude(email="").first() or \
        Contact.objects.filter(organization=org, is_active=True).first()
    customer = User.objects.filter(organization=org, role="customer", is_active=True).first()
    if not cis:
        return
    eng, mgr = users["engineer1"], users["manager"]

    def raise_change(title: str, weeks: int, ci: CI, answers: dict[str, str], **kw: Any) -> Any:
        start = _next_saturday(now, weeks)
        return change_create(
            actor=eng, organization=org, title=title, planned_start=start, planned_end=start + timedelta(hours=2),
            cis=[ci], contact=contact, risk_answers=answers, now=now - timedelta(days=2), **kw)

    def move(change: Any, *steps: tuple[Any, str]) -> Any:
        for actor, action in steps:
            change = change_transition(change_id=change.pk, actor=actor, action=action, now=now,
                                       payload={"comment": "同意", "outcome": "successful",
                                                "notes": "按计划完成，业务验证正常。"})
        return change

    plans = {"reason": "", "implementation_plan": "", "backout_plan": "", "test_plan": ""}
    raise_change("核心交换机 ACL 策略调整", 2, cis[0], ANSWERS_MEDIUM, **{
        **plans, "reason": "新增视频专网访问需求", "implementation_plan": "在维护窗口内下发新 ACL 并保存配置。",
        "backout_plan": "恢复变更前备份的配置文件。"})
    if customer is None:
        stdout.write("changes: no customer user for city-psb; only a draft change was created\n")
        return
    full = {"reason": "厂商发布安全补丁，修复远程代码执行漏洞", "implementation_plan": "逐台升级固件，每台升级后重启验证。",
            "backout_plan": "回刷上一版本固件并恢复配置备份。", "test_plan": "业务端口连通、监控画面正常。"}
    with_cab = raise_change("视频平台服务器安全补丁升级", 3, cis[min(1, len(cis) - 1)], ANSWERS_HIGH, **full)
    move(with_cab, (eng, "submit"), (mgr, "assess"), (mgr, "request_approval"), (users["lead"], "approve"))
    waiting = raise_change("存储阵列控制器固件升级", 4, cis[min(2, len(cis) - 1)], ANSWERS_MEDIUM, **full)
    move(waiting, (eng, "submit"), (mgr, "assess"), (mgr, "request_approval"), (users["lead"], "approve"),
         (users["analyst"], "approve"))
    scheduled = raise_change("出口防火墙策略优化", 1, cis[min(3, len(cis) - 1)], ANSWERS_MEDIUM, **full)
    move(scheduled, (eng, "submit"), (mgr, "assess"), (mgr, "request_approval"), (users["lead"], "approve"),
         (users["analyst"], "approve"), (customer, "approve"), (mgr, "schedule"))
    done = change_create(actor=eng, organization=org, type=ChangeType.STANDARD, template=disk,
                         title="更换存储 2 号盘位故障硬盘", planned_start=now - timedelta(days=1, hours=3),
                         planned_end=now + timedelta(hours=20), cis=[cis[0]], contact=contact,
                         now=now - timedelta(days=2))
    move(done, (eng, "submit"), (mgr, "schedule"), (eng, "implement"), (eng, "complete"), (mgr, "review"),
         (mgr, "close"))
    stdout.write("changes: 2 CABs, 2 templates, a freeze window, maintenance windows, 5 changes\n")
