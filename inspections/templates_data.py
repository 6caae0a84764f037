"""The checklist templates of the customer's plan (seed 1.1-4, 1.2.2.3, 1.2.2.5, 1.2.8), with the
plan's record form names, in Chinese and English. Loaded by migration 0002 (and again by
`manage.py seed_checklists`, which adds what is missing and never changes an edited template).

Item: (text_zh, text_en, kind, extra) — extra: unit / min / max for a reading, options /
finding_options for a choice, photo for a required photo."""

from __future__ import annotations

from typing import Any

PF, READ, CHOICE, TEXT = "pass_fail", "reading", "choice", "text"

CONDITION = [["good", "良好", "Good"], ["fair", "一般", "Fair"], ["poor", "差", "Poor"]]

TEMPLATES: list[dict[str, Any]] = [
    {"code": "monthly-system", "name": "系统和关键设备月度巡检", "name_en": "Monthly system and key-device inspection",
     "form_name": "系统巡检报告", "form_name_en": "System inspection report", "scope": "ci", "items": [
         ("设备运行状态正常（指示灯、告警）", "Device running normally (LEDs, alarms)", PF, {}),
         ("机房温度", "Equipment room temperature", READ, {"unit": "°C", "min": "10", "max": "30"}),
         ("机房湿度", "Equipment room humidity", READ, {"unit": "%RH", "min": "20", "max": "80"}),
         ("CPU 使用率", "CPU load", READ, {"unit": "%", "min": "0", "max": "80"}),
         ("存储可用空间", "Free storage", READ, {"unit": "%", "min": "15", "max": None}),
         ("平台图像调阅正常", "Platform shows live video", PF, {}),
         ("日志与告警检查结论", "Log and alarm review", TEXT, {}),
     ]},
    {"code": "quarterly-lines", "name": "线路及前端安装点季度巡检", "name_en": "Quarterly lines and front-end points inspection",
     "form_name": "巡检记录表", "form_name_en": "Inspection record sheet", "scope": "ci", "items": [
         ("线路敷设完好，无破损、无裸露", "Cabling intact, not damaged or exposed", PF, {}),
         ("立杆及支架牢固", "Pole and bracket firm", PF, {}),
         ("周边施工或树木可能影响线路", "Works or trees nearby that may affect the line", CHOICE, {
             "options": [["none", "无", "None"], ["watch", "需关注", "Watch"], ["risk", "有风险，需协调", "Risk, to be coordinated"]],
             "finding_options": ["risk"]}),
         ("前端安装点现场照片", "Photo of the installation point", PF, {"photo": True}),
     ]},
    {"code": "quarterly-maintenance", "name": "设备箱及供电系统季度保养", "name_en": "Quarterly device box and power maintenance",
     "form_name": "设备养护记录表", "form_name_en": "Device maintenance record", "scope": "ci", "items": [
         ("设备箱除尘，箱门密封良好", "Box dusted, door seal good", PF, {}),
         ("供电电压", "Supply voltage", READ, {"unit": "V", "min": "198", "max": "242"}),
         ("接线端子紧固无氧化", "Terminals tight, no corrosion", PF, {}),
         ("排除故障隐患情况", "Hidden faults removed", TEXT, {}),
         ("保养后照片", "Photo after maintenance", PF, {"photo": True}),
     ]},
    {"code": "quarterly-camera-cleaning", "name": "摄像机季度除尘清洁", "name_en": "Quarterly camera cleaning",
     "form_name": "摄像机清洁记录表", "form_name_en": "Camera cleaning record", "scope": "ci", "items": [
         ("镜头及防护罩清洁", "Lens and housing cleaned", PF, {}),
         ("清洁后图像清晰度", "Picture after cleaning", CHOICE, {"options": CONDITION, "finding_options": ["poor"]}),
         ("清洁后照片", "Photo after cleaning", PF, {"photo": True}),
     ]},
    {"code": "half-yearly-lightning", "name": "防雷系统半年检测", "name_en": "Half-yearly lightning-protection test",
     "form_name": "检测登记表", "form_name_en": "Test register", "scope": "ci", "items": [
         ("接地电阻", "Earth resistance", READ, {"unit": "Ω", "min": None, "max": "4", "photo": True}),
         ("浪涌保护器状态正常", "Surge protector healthy", PF, {}),
         ("接地连接无锈蚀松动", "Earth bonding free of rust and tight", PF, {}),
         ("不达标地极处理措施", "Action on failed earth electrodes", TEXT, {}),
     ]},
    {"code": "weekly-spot-check", "name": "每周随机抽查", "name_en": "Weekly random spot check",
     "form_name": "抽检记录表", "form_name_en": "Spot check record", "scope": "ci", "items": [
         ("设备在线", "Device online", PF, {}),
         ("图像质量", "Picture quality", CHOICE, {"options": CONDITION, "finding_options": ["poor"]}),
         ("录像完整（抽查 24 小时）", "Recording complete (24 h sampled)", PF, {}),
     ]},
    {"code": "spares-store-check", "name": "备品备件库定期检查", "name_en": "Periodic spare-parts store check",
     "form_name": "备品备件盘点表", "form_name_en": "Spare-parts stock count sheet", "scope": "store", "items": [
         ("库房环境（防潮、防尘）良好", "Store dry and clean", PF, {}),
         ("领用登记完整", "Issue register complete", PF, {}),
     ]},
]


def install(apps: Any) -> int:
    """Create the templates that do not exist yet (by code). Returns how many were created."""
    template_model = apps.get_model("inspections", "ChecklistTemplate")
    item_model = apps.get_model("inspections", "ChecklistItem")
    created = 0
    for spec in TEMPLATES:
        if template_model.objects.filter(code=spec["code"]).exists():
            continue
        template = template_model.objects.create(
            code=spec["code"], name=spec["name"], name_en=spec["name_en"], form_name=spec["form_name"],
            form_name_en=spec["form_name_en"], scope=spec["scope"])
        for position, (zh, en, kind, extra) in enumerate(spec["items"], start=1):
            item_model.objects.create(
                template=template, position=position, text=zh, text_en=en, kind=kind,
                unit=extra.get("unit", ""), min_value=extra.get("min"), max_value=extra.get("max"),
                options=extra.get("options", []), finding_options=extra.get("finding_options", []),
                photo_required=bool(extra.get("photo")))
        created += 1
    return created
