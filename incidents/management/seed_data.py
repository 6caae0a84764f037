"""Reference data shared by `seed_demo` and `seed_bulk`: CI classes, the demo password, texts."""

from __future__ import annotations

from cmdb.models import CIClass

# One printed password for every demo and benchmark login; it passes the settings' validators.
DEMO_PASSWORD = "opsdesk-demo-2026"

# (code, name) of the CI classes BRIEF.md's R-CMDB lists.
CI_CLASSES: tuple[tuple[str, str], ...] = (
    ("server", "服务器"),
    ("storage", "存储设备"),
    ("switch", "交换机"),
    ("router", "路由器"),
    ("firewall", "防火墙"),
    ("camera", "摄像机"),
    ("video-platform", "视频平台"),
    ("pc", "计算机终端"),
    ("printer", "打印机"),
    ("ups", "UPS 电源"),
    ("cooling", "精密空调"),
    ("link", "传输链路"),
    ("service", "业务服务"),
    ("application", "应用系统"),
    ("database", "数据库"),
    ("vm", "虚拟机"),
)

# Typical faults per CI class (Chinese, as the hotline would type them).
FAULTS: dict[str, tuple[str, ...]] = {
    "server": ("宕机无法访问", "硬盘告警", "CPU 使用率过高", "电源模块故障"),
    "storage": ("磁盘阵列降级", "存储容量不足", "控制器故障"),
    "switch": ("端口频繁上下线", "设备离线", "光模块故障"),
    "router": ("路由震荡", "设备重启", "链路丢包"),
    "firewall": ("策略异常阻断业务", "设备离线", "会话数超限"),
    "camera": ("画面黑屏", "图像模糊", "设备离线", "录像丢失"),
    "video-platform": ("视频调阅卡顿", "平台登录失败", "录像回放失败"),
    "pc": ("无法开机", "蓝屏", "无法上网", "病毒告警"),
    "printer": ("卡纸", "无法打印", "打印质量差"),
    "ups": ("电池告警", "市电中断切换失败", "UPS 过载"),
    "cooling": ("机房温度过高", "空调漏水", "压缩机故障"),
    "link": ("专线中断", "链路延迟高", "光缆被挖断"),
    "service": ("业务中断", "响应缓慢"),
    "application": ("系统报错无法登录", "页面打不开", "数据同步失败"),
    "database": ("数据库连接数满", "主从同步中断", "表空间不足"),
    "vm": ("虚拟机无响应", "虚拟机迁移失败", "快照占满存储"),
}

VENDORS: dict[str, tuple[str, ...]] = {
    "server": ("华为", "浪潮", "联想"), "storage": ("华为", "海康威视"), "switch": ("华为", "新华三", "锐捷"),
    "router": ("华为", "新华三"), "firewall": ("深信服", "天融信"), "camera": ("海康威视", "大华", "宇视"),
    "video-platform": ("海康威视", "大华"), "pc": ("联想", "戴尔"), "printer": ("惠普", "得力"),
    "ups": ("山特", "科华"), "cooling": ("艾默生", "佳力图"), "link": ("中国电信", "中国联通"),
}

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN_NAMES = ("伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超", "霞")

RESOLUTIONS = ("更换故障部件后恢复", "重启设备后恢复正常", "调整配置后恢复", "线路修复后恢复", "升级固件后恢复")
WORKAROUNDS = ("切换至备用设备", "临时启用备用链路", "重启服务临时恢复")


def ci_classes_ensure() -> dict[str, CIClass]:
    """Create the standard CI classes once; return them by code."""
    existing = {c.code: c for c in CIClass.objects.filter(code__in=[code for code, _ in CI_CLASSES])}
    missing = [CIClass(code=code, name=name) for code, name in CI_CLASSES if code not in existing]
    if missing:
        CIClass.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {c.code: c for c in CIClass.objects.filter(code__in=[code for code, _ in CI_CLASSES])}
    return existing


def person_name(n: int) -> str:
    return SURNAMES[n % len(SURNAMES)] + GIVEN_NAMES[(n // len(SURNAMES)) % len(GIVEN_NAMES)]


def mobile(n: int, prefix: str = "139") -> str:
    return f"{prefix}{n % 100_000_000:08d}"
