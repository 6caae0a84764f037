"""CMDB demo data for `manage.py seed_demo` (settings.DEMO_SEEDERS): the standard attribute sets,
structured locations, asset tags, purchase and warranty dates, maintenance contracts, two business
services and the relationships that make impact analysis tell a story (service → application →
VM → host → network → link). Idempotent: skipped when the demo contract exists."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from accounts.models import Organization

from .choices import ChangeSource
from .models import CI, CIClass, MaintenanceContract
from .services import ci_class_catalog_apply, ci_create, ci_update, contract_create, relation_create

MARKER = "WB-GOV-2025-001"
CONTRACTS = {  # org code: (number, vendor, years back the contract started, years it runs)
    "gov-dc": (MARKER, "华为技术服务有限公司", 1, 3),
    "hospital-1": ("WB-HOS-2024-007", "联想服务", 2, 3),
    "city-psb": ("WB-PSB-2023-011", "海康威视服务", 3, 3),
}
SITES = {"gov-dc": ("市政务数据中心", "A栋"), "hospital-1": ("第一人民医院", "信息中心楼"),
         "city-psb": ("市公安局视频监控中心", "指挥中心"), "school-1": ("市第一中学", "教学楼")}
SERVICES = {"gov-dc": "统一身份认证服务", "city-psb": "视频监控调阅服务", "hospital-1": "门诊挂号收费服务"}


def seed(*, now: datetime, stdout: Any) -> None:
    changed = ci_class_catalog_apply()
    if MaintenanceContract.objects.filter(number=MARKER).exists():
        stdout.write("CMDB demo data exists already: nothing added.")
        return
    orgs = {o.code: o for o in Organization.objects.filter(code__in=list(SITES))}
    if not orgs:
        stdout.write("CMDB demo data: no demo organisations, nothing added.")
        return
    today = timezone.localdate(now)
    classes = {c.code: c for c in CIClass.objects.all()}
    cis = 0
    for code, org in orgs.items():
        contract = None
        if code in CONTRACTS:
            number, vendor, back, years = CONTRACTS[code]
            start = today.replace(month=1, day=1) - timedelta(days=365 * back)
            contract = contract_create(organization=org, number=number, vendor=vendor, starts_on=start,
                                       ends_on=start + timedelta(days=365 * years - 1),
                                       description="7×24 原厂维保，4 小时到场")
        site, building = SITES[code]
        for n, ci in enumerate(CI.objects.filter(organization=org).select_related("ci_class").order_by("id")):
            # Spread purchases over four years; warranties of three years, so some have ended and
            # some end within the next months (the warranty list has something to show).
            purchased = today - timedelta(days=200 + (n * 97) % 1400)
            changes: dict[str, Any] = {
                "site": site, "building": building, "floor": str(1 + n % 5), "room": f"{1 + n % 5}0{1 + n % 3}",
                "asset_tag": f"{code.upper()}-{ci.ci_class.code.upper()}-{n + 1:04d}",
                "purchase_date": purchased, "warranty_end": purchased + timedelta(days=3 * 365),
            }
            if ci.ci_class.code in ("server", "storage", "switch", "router", "firewall", "ups"):
                changes["rack"] = f"R{1 + n % 8:02d}"
                changes["contract"] = contract
            if ci.ci_class.code == "server":
                changes["attributes"] = {"ram_gb": 256 if n % 2 else 128, "os": "麒麟 V10", "cpu_cores": 64}
            ci_update(ci_id=ci.pk, actor=None, changes=changes, now=now, source=ChangeSource.SYSTEM)
            cis += 1
        if code in SERVICES and "service" in classes and not CI.objects.filter(organization=org,
                                                                                name=SERVICES[code]).exists():
            ci_create(name=SERVICES[code], ci_class=classes["service"], organization=org, now=now,
                      attributes={"service_hours": "7×24", "criticality": "核心"})
    relations = _relations(orgs, now=now)
    stdout.write(f"CMDB: attribute sets on {changed} classes, {cis} CIs located and dated, {relations} relationships.")


def _relations(orgs: dict[str, Organization], *, now: datetime) -> int:
    by_name = {(ci.organization.code, ci.name): ci for ci in
               CI.objects.filter(organization__in=orgs.values()).select_related("organization")}
    made = 0

    def link(org: str, source: str, kind: str, target: str) -> None:
        nonlocal made
        a, b = by_name.get((org, source)), by_name.get((org, target))
        if a is not None and b is not None:
            relation_create(source=a, target=b, type=kind, actor=None, now=now)
            made += 1

    # 政务数据中心: service → apps → VMs → hosts → router → firewalls → the external link.
    g = "gov-dc"
    for app in ("网上办事大厅-01", "网上办事大厅-02"):
        link(g, SERVICES[g], "depends_on", app)
    for n in range(1, 5):
        link(g, f"网上办事大厅-{1 + (n - 1) // 2:02d}", "runs_on", f"政务服务虚拟机-{n:02d}")
        link(g, f"政务服务虚拟机-{n:02d}", "hosted_on", f"政务云宿主机-{n:02d}")
        link(g, f"政务云宿主机-{n:02d}", "connects_to", "核心路由器")
        link(g, f"政务云宿主机-{n:02d}", "depends_on", "集中存储")
    link(g, "政务数据库-01", "runs_on", "政务服务虚拟机-03")
    link(g, "政务数据库-02", "runs_on", "政务服务虚拟机-04")
    link(g, "网上办事大厅-01", "depends_on", "政务数据库-01")
    link(g, "网上办事大厅-02", "depends_on", "政务数据库-02")
    link(g, "政务数据库-01", "depends_on", "政务数据库-02")  # primary/standby pair: a cycle
    link(g, "政务数据库-02", "depends_on", "政务数据库-01")
    link(g, "核心路由器", "connects_to", "边界防火墙-01")
    link(g, "核心路由器", "connects_to", "边界防火墙-02")
    link(g, "边界防火墙-01", "connects_to", "政务外网专线")
    link(g, "边界防火墙-02", "connects_to", "政务外网专线")
    link(g, "集中存储", "depends_on", "精密空调-01")
    # 视频监控中心: service → platform → streaming servers / storage; cameras → switches → links.
    p = "city-psb"
    link(p, SERVICES[p], "depends_on", "视频监控平台")
    for n in (1, 2):
        link(p, "视频监控平台", "runs_on", f"流媒体服务器-{n:02d}")
        link(p, "视频监控平台", "depends_on", f"视频存储-{n:02d}")
        link(p, f"流媒体服务器-{n:02d}", "connects_to", "汇聚交换机-01")
        link(p, f"流媒体服务器-{n:02d}", "depends_on", "机房 UPS")
    for n in range(1, 13):
        link(p, f"路口摄像机-{n:02d}", "connects_to", f"汇聚交换机-{1 + n % 3:02d}")
    for n in range(1, 4):
        link(p, f"汇聚交换机-{n:02d}", "connects_to", f"视频专线-{1 + n % 2:02d}")
    # 第一人民医院: service → HIS apps → servers → floor switch; database on a server.
    h = "hospital-1"
    for n in (1, 2):
        link(h, SERVICES[h], "depends_on", f"医院信息系统-{n:02d}")
        link(h, f"医院信息系统-{n:02d}", "runs_on", f"HIS 服务器-{n:02d}")
        link(h, f"医院信息系统-{n:02d}", "depends_on", "HIS 数据库")
        link(h, f"HIS 服务器-{n:02d}", "connects_to", "楼层交换机-01")
        link(h, f"HIS 服务器-{n:02d}", "depends_on", "信息中心 UPS")
    link(h, "HIS 数据库", "runs_on", "HIS 服务器-02")
    for n in range(1, 9):
        link(h, f"门诊工作站-{n:02d}", "connects_to", f"楼层交换机-{1 + n % 2:02d}")
    for n in range(1, 5):
        link(h, f"收费处打印机-{n:02d}", "connects_to", "楼层交换机-02")
    return made
