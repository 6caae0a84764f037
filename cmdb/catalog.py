"""The standard attribute sets of the estate's CI classes (BRIEF R-CMDB), by class code. Data that
admins then edit in the admin (CI class → attribute definitions); `ci_class_catalog_apply` fills
classes that have none yet. Labels are the customer's language, like the class names."""

from __future__ import annotations

# Nothing is required in the standard sets: CIs created before the sets were applied (or by other
# apps' demo data) stay editable; admins mark attributes required where their data allows.
from typing import Any


def _a(name: str, label: str, type: str = "text", required: bool = False,  # noqa: A002
       choices: list[str] | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"name": name, "label": label, "type": type, "required": required}
    if choices:
        item["choices"] = choices
    return item


NETWORK = [_a("mgmt_ip", "管理 IP"), _a("ports", "端口数", "int"), _a("firmware", "固件版本")]
STANDARD_ATTRIBUTES: dict[str, list[dict[str, Any]]] = {
    "server": [_a("hostname", "主机名"), _a("mgmt_ip", "管理 IP"), _a("cpu_cores", "CPU 核数", "int"),
               _a("ram_gb", "内存 (GB)", "int"), _a("disk_tb", "磁盘 (TB)", "decimal"),
               _a("os", "操作系统"), _a("role", "用途", "choice", choices=["物理机", "虚拟化宿主机", "存储节点"])],
    "storage": [_a("mgmt_ip", "管理 IP"), _a("raw_tb", "裸容量 (TB)", "decimal"),
                _a("usable_tb", "可用容量 (TB)", "decimal"), _a("raid", "RAID 级别", "choice",
                                                                    choices=["RAID1", "RAID5", "RAID6", "RAID10"])],
    "switch": [*NETWORK, _a("layer", "层级", "choice", choices=["核心", "汇聚", "接入"])],
    "router": list(NETWORK),
    "firewall": [*NETWORK, _a("license_end", "特征库授权到期", "date")],
    "camera": [_a("ip", "IP 地址"), _a("camera_type", "类型", "choice", choices=["枪机", "球机", "半球", "全景"]),
               _a("resolution", "分辨率", "choice", choices=["1080P", "400万", "800万"]),
               _a("night_vision", "夜视", "bool"), _a("install_address", "安装地址")],
    "video-platform": [_a("version", "平台版本"), _a("channels", "接入路数", "int"),
                       _a("retention_days", "录像保存天数", "int")],
    "pc": [_a("hostname", "计算机名"), _a("ip", "IP 地址"), _a("os", "操作系统"), _a("user", "使用人"),
           _a("antivirus", "已装杀毒软件", "bool")],
    "printer": [_a("ip", "IP 地址"), _a("printer_type", "类型", "choice", choices=["激光", "喷墨", "针式"]),
                _a("color", "彩色", "bool"), _a("toner", "耗材型号")],
    "ups": [_a("capacity_kva", "容量 (kVA)", "decimal"), _a("battery_count", "电池数", "int"),
            _a("battery_installed", "电池安装日期", "date"), _a("runtime_min", "后备时间 (分钟)", "int")],
    "cooling": [_a("capacity_kw", "制冷量 (kW)", "decimal"), _a("refrigerant", "冷媒")],
    "link": [_a("carrier", "运营商", "choice", choices=["中国电信", "中国联通", "中国移动", "自建"]),
             _a("circuit_id", "电路编号"), _a("bandwidth_mbps", "带宽 (Mbps)", "int"),
             _a("a_end", "A 端"), _a("z_end", "Z 端")],
    "service": [_a("service_hours", "服务时间", "choice", choices=["7×24", "5×8"]),
                _a("criticality", "重要程度", "choice", choices=["核心", "重要", "一般"]),
                _a("business_owner", "业务负责人")],
    "application": [_a("version", "版本"), _a("url", "访问地址"), _a("developer", "开发商")],
    "database": [_a("engine", "数据库类型", "choice", choices=["Oracle", "MySQL", "PostgreSQL", "SQL Server", "达梦", "人大金仓"]),
                 _a("db_version", "版本"), _a("port", "端口", "int"), _a("backup", "已配置备份", "bool")],
    "vm": [_a("hostname", "主机名"), _a("ip", "IP 地址"), _a("vcpu", "vCPU", "int"), _a("ram_gb", "内存 (GB)", "int"),
           _a("os", "操作系统")],
}
SERVICE_CLASSES = {"service"}

