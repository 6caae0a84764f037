"""Problem demo data for `manage.py seed_demo` (settings.DEMO_SEEDERS): a few problems and known
errors in Chinese, linked to demo incidents on devices of the matching class. Idempotent: skipped
when problems exist already."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from accounts.models import Organization, User
from cmdb.models import CI
from incidents.models import Incident

from .models import Problem, ProblemIncident
from .services import problem_create, problem_link_incidents, problem_transition

# (organisation code, CI class code, title, priority, cause, root cause, workaround, path of actions, resolution)
DEMO_PROBLEMS: tuple[tuple[str, str, str, str, str, str, str, tuple[str, ...], str], ...] = (
    ("gov-dc", "switch", "核心交换机端口故障：端口频繁上下线", "1", "hardware",
     "交换机固件 V5.1 存在端口自协商缺陷，高负载时端口反复 up/down。",
     "将业务链路切换到备用端口，并关闭该端口自协商、固定为 1000M 全双工。",
     ("investigate", "known_error"), ""),
    ("city-psb", "camera", "前端摄像头夜间频繁离线", "2", "power",
     "PoE 交换机总供电功率不足，夜间红外灯开启后功耗上升导致端口掉电。",
     "在 PoE 交换机上重启对应端口；重点点位临时改用独立电源适配器供电。",
     ("investigate", "known_error"), ""),
    ("hospital-1", "printer", "门诊挂号收费打印机反复卡纸", "3", "hardware", "", "", ("investigate",), ""),
    ("gov-dc", "ups", "UPS 电池告警：电池组老化", "2", "power",
     "UPS 电池组已使用超过 5 年，内阻升高，放电测试不合格。",
     "市电中断时手动将负载切换到旁路，并通知机房值班人员。",
     ("investigate", "known_error", "resolve"), "已整体更换电池组并完成放电测试。"),
)


def seed(*, now: datetime, stdout: Any) -> None:
    if Problem.objects.exists():
        stdout.write("Problem demo data exists already: nothing added.")
        return
    analyst = User.objects.filter(username="analyst", is_active=True).first()
    if analyst is None:
        stdout.write("Problem demo data: no analyst account, nothing added.")
        return
    orgs = {o.code: o for o in Organization.objects.filter(code__in={row[0] for row in DEMO_PROBLEMS})}
    made = 0
    for code, ci_class, title, priority, cause, root_cause, workaround, path, resolution in DEMO_PROBLEMS:
        org = orgs.get(code)
        if org is None:
            continue
        ci = CI.objects.filter(organization=org, ci_class__code=ci_class).order_by("id").first()
        linked = ProblemIncident.objects.filter(unlinked_at__isnull=True).values("incident_id")
        incidents = list(Incident.objects.filter(organization=org, ci__ci_class__code=ci_class)
                         .exclude(status="cancelled").exclude(pk__in=linked)
                         .order_by("-reported_at").values_list("pk", flat=True)[:3])
        problem = problem_create(actor=analyst, organization=org, title=title, priority=priority, ci=ci,
                                 cause_category=cause, root_cause=root_cause, workaround=workaround,
                                 incident_ids=incidents[:2], now=now,
                                 description="由多起同类故障归并分析。" if incidents else "")
        if len(incidents) > 2:  # one more linked later, as an analyst would
            problem_link_incidents(problem_id=problem.pk, actor=analyst, incident_ids=incidents[2:], now=now)
        for action in path:
            problem = problem_transition(problem_id=problem.pk, actor=analyst, action=action, now=now,
                                         payload={"resolution": resolution})
        made += 1
    stdout.write(f"Created {made} problems and known errors.")
