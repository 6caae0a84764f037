"""Demo documents for `manage.py seed_demo` (settings.DEMO_SEEDERS): a few documents with
versions for the demo organisations, files generated here (text, CSV and a small PDF), written
through the services with back-dated times. Idempotent: does nothing if the demo organisations
already have documents."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Organization, User
from cmdb.models import CI

from .choices import DocumentCategory
from .models import Document
from .services import document_create, document_publish, document_version_add

# org code, title, category, CI name contains, published, versions: (days ago, file name, note)
DEMO: tuple[tuple[str, str, str, str, bool, tuple[tuple[int, str, str], ...]], ...] = (
    ("city-psb", "视频专线电路资料", DocumentCategory.CIRCUIT_DATA, "视频专线", True, (
        (60, "video-links-circuits.txt", "初版"), (20, "video-links-circuits.txt", "专线 02 更换端口"))),
    ("city-psb", "前端点位装机地址表", DocumentCategory.INSTALL_ADDRESSES, "路口摄像机", True, (
        (45, "camera-addresses.csv", "初版"),)),
    ("city-psb", "视频监控平台配置", DocumentCategory.CONFIGURATION, "视频监控平台", False, (
        (50, "video-platform-config.txt", "初版"), (25, "video-platform-config.txt", "调整录像计划"),
        (8, "video-platform-config.txt", "新增用户角色"))),
    ("city-psb", "汇聚交换机操作手册", DocumentCategory.MANUAL, "汇聚交换机", True, (
        (90, "switch-manual.pdf", "厂商手册"),)),
    ("gov-dc", "政务外网专线电路资料", DocumentCategory.CIRCUIT_DATA, "政务外网专线", True, (
        (40, "gov-link-circuits.txt", "初版"),)),
    ("gov-dc", "边界防火墙策略配置", DocumentCategory.CONFIGURATION, "边界防火墙", False, (
        (70, "firewall-policy.txt", "初版"), (30, "firewall-policy.txt", "开放办事大厅端口"))),
    ("gov-dc", "政务数据库备份情况", DocumentCategory.BACKUP_STATUS, "政务数据库", True, (
        (15, "db-backups.csv", "月度核对"),)),
    ("hospital-1", "HIS 服务器配置", DocumentCategory.CONFIGURATION, "HIS 服务器", False, (
        (35, "his-servers.txt", "初版"),)),
    ("hospital-1", "收费处打印机装机地址", DocumentCategory.INSTALL_ADDRESSES, "收费处打印机", True, (
        (20, "printer-addresses.csv", "初版"),)),
)


def _pdf(lines: list[str]) -> bytes:
    """A one-page PDF (Helvetica, ASCII text): enough to show a real download in the demo."""
    text = "BT /F1 12 Tf 72 770 Td 16 TL " + " ".join(
        "({}) '".format(line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")) for line in lines) + " ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text.encode("ascii") + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _content(name: str, *, title: str, cis: list[CI], revision: int, note: str) -> tuple[bytes, str]:
    if name.endswith(".pdf"):
        lines = [f"{name} - revision {revision}", "", *[f"Device {ci.serial}" for ci in cis],
                 "", "1. Power on and check the status LEDs.", "2. Log in on the console port (9600 8N1).",
                 "3. Save the configuration after every change."]
        return _pdf(lines), "application/pdf"
    if name.endswith(".csv"):
        rows = ["名称,序列号,位置,版本"] + [f"{ci.name},{ci.serial},{ci.location},{revision}" for ci in cis]
        return ("\n".join(rows) + "\n").encode("utf-8-sig"), "text/csv"
    body = [f"{title}(第 {revision} 版)", f"说明:{note}", ""]
    for ci in cis:
        body.append(f"- {ci.name}  序列号 {ci.serial}  位置 {ci.location}  型号 {ci.vendor} {ci.model}".rstrip())
    return ("\n".join(body) + "\n").encode("utf-8"), "text/plain"


def seed(*, now: datetime, stdout: Any) -> None:
    orgs = {org.code: org for org in Organization.objects.filter(code__in={d[0] for d in DEMO})}
    if not orgs or Document.objects.filter(organization__in=orgs.values()).exists():
        return
    actor = User.objects.filter(username="docadmin").first() or User.objects.filter(is_superuser=True).first()
    if actor is None:
        return
    made = 0
    for code, title, category, ci_name, published, versions in DEMO:
        org = orgs.get(code)
        if org is None:
            continue
        cis = list(CI.objects.filter(organization=org, name__contains=ci_name).order_by("name", "id")[:20])
        created = now - timedelta(days=versions[0][0], hours=1)
        document = document_create(actor=actor, organization=org, title=title, category=category, cis=cis,
                                   description="", now=created)
        for revision, (days_ago, name, note) in enumerate(versions, start=1):
            data, content_type = _content(name, title=title, cis=cis, revision=revision, note=note)
            document_version_add(document_id=document.pk, actor=actor, note=note, version=None,
                                 upload=SimpleUploadedFile(name, data, content_type=content_type),
                                 now=now - timedelta(days=days_ago))
        if published:
            document_publish(document_id=document.pk, actor=actor, version=None,
                             now=now - timedelta(days=versions[-1][0]) + timedelta(hours=2))
        made += 1
    stdout.write(f"Created {made} library documents.")
