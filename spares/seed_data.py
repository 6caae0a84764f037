"""Demo data of the spare-parts store for `manage.py seed_demo` (settings.DEMO_SEEDERS): the
provider's central storeroom and two on-site ones, parts for the demo estate, received stock, one
issue to an open incident, one request waiting for approval and one part below its reorder level.
Idempotent: does nothing when the central storeroom exists."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from accounts.models import Organization, User
from cmdb.models import CIClass
from incidents.choices import OPEN_STATUSES
from incidents.models import Incident

from .choices import MovementKind
from .models import ApprovalRule, SparePart, Storeroom
from .services import movement_request, spare_part_create, storeroom_create

CENTRAL = "provider-central"

# (part number, name, vendor, model, CI class code, unit, reorder level, central stock, on-site stock)
PARTS: tuple[tuple[str, str, str, str, str, str, int, int, int], ...] = (
    ("PSU-S5735-600W", "交换机电源模块 600W", "华为", "S5735-L48T4S", "switch", "个", 2, 6, 1),
    ("SFP-GE-LX-SM1310", "千兆单模光模块 1310nm", "华为", "", "switch", "个", 10, 24, 4),
    ("CAM-DS-2CD3T47", "400 万枪型网络摄像机（备机）", "海康威视", "DS-2CD3T47EWD", "camera", "台", 3, 5, 2),
    ("HDD-8T-SURV", "监控级硬盘 8TB", "希捷", "ST8000VX", "storage", "块", 6, 4, 0),
    ("HDD-SAS-1.2T", "服务器 SAS 硬盘 1.2TB", "浪潮", "", "server", "块", 4, 8, 0),
    ("TONER-HP-88A", "硒鼓 88A", "惠普", "LaserJet P1108", "printer", "个", 5, 12, 3),
    ("PC-STANDBY-M720", "备用计算机 ThinkCentre M720", "联想", "ThinkCentre M720", "pc", "台", 2, 3, 1),
    ("BAT-12V100AH", "UPS 蓄电池 12V 100Ah", "山特", "C12-100", "ups", "节", 16, 20, 0),
)


def seed(*, now: datetime, stdout: Any) -> None:
    if Storeroom.objects.filter(code=CENTRAL).exists():
        return
    keeper = User.objects.filter(username="engineer1").first() or User.objects.filter(is_superuser=True).first()
    if keeper is None:
        return
    orgs = {o.code: o for o in Organization.objects.filter(code__in=["city-psb", "hospital-1"])}
    central = storeroom_create(actor=keeper, name="运维备件中心库", code=CENTRAL, location="运维中心 1 楼 备件室")
    sites = [storeroom_create(actor=keeper, name=f"{org.name}现场备件柜", code=f"{code}-site", organization=org,
                              location=org.address)
             for code, org in orgs.items()]
    classes = {c.code: c for c in CIClass.objects.all()}
    start = now - timedelta(days=30)
    parts: list[SparePart] = []
    for number, name, vendor, model, klass, unit, level, central_qty, site_qty in PARTS:
        part = spare_part_create(actor=keeper, now=start, data={
            "part_number": number, "name": name, "vendor": vendor, "model": model, "ci_class": classes.get(klass),
            "unit": unit, "reorder_level": level})
        parts.append(part)
        movement_request(part_id=part.pk, kind=MovementKind.RECEIVE, quantity=central_qty, actor=keeper, now=start,
                         to_storeroom=central, reference=f"PO-2026-{len(parts):04d}", note="年度备件采购入库")
        if site_qty and sites:
            movement_request(part_id=part.pk, kind=MovementKind.TRANSFER, quantity=site_qty, actor=keeper,
                             now=start + timedelta(days=1), from_storeroom=central, to_storeroom=sites[0],
                             note="现场备件柜补货")
    # Write-offs always wait for a manager; big issues too.
    ApprovalRule.objects.get_or_create(kind=MovementKind.WRITE_OFF, part=None, defaults={"min_quantity": 1})
    ApprovalRule.objects.get_or_create(kind=MovementKind.ISSUE, part=None, defaults={"min_quantity": 5})
    incident = (Incident.objects.filter(status__in=OPEN_STATUSES, organization__code="city-psb")
                .order_by("reported_at").first())
    if incident is not None:
        movement_request(part_id=parts[1].pk, kind=MovementKind.ISSUE, quantity=2, actor=keeper,
                         now=now - timedelta(hours=3), from_storeroom=central, incident=incident,
                         note="更换故障光模块")
    movement_request(part_id=parts[0].pk, kind=MovementKind.WRITE_OFF, quantity=1, actor=keeper,
                     now=now - timedelta(hours=1), from_storeroom=central, note="电源模块烧毁，无维修价值")
    stdout.write(f"Spare parts: {len(parts)} parts in {1 + len(sites)} storerooms "
                 "(HDD-8T-SURV is below its reorder level; one write-off waits for approval).")
