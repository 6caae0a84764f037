"""Scanner exports → rows. OpenVAS / Greenbone XML reports, Nessus .nessus (XML v2) and CSV exports,
and a generic CSV. XML is parsed with defusedxml (no DTDs, entities or external references), CSV
with the CMDB importer's reader (UTF-8 or GB18030, no binary). Every text is cut to its column's
length and stripped of control characters; nothing in a file is ever evaluated.

A row with severity "log" / "none" / CVSS 0 (information only) is counted as skipped, not imported."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from cmdb.transfer import ImportFileError, read_table

from .choices import ExportFormat, Severity

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CVE = re.compile(r"CVE-\d{4}-\d{4,}", re.IGNORECASE)


class ScanFileError(ImportFileError):
    """The file cannot be read as a scanner export (a field error on the upload, never a 500)."""


@dataclass
class ScanRow:
    line: int  # row number (CSV) or result number (XML), for messages
    host: str  # IP address as written, else the host name
    hostname: str = ""
    asset_tag: str = ""
    port: str = ""
    vuln_id: str = ""
    cves: list[str] = field(default_factory=list)
    name: str = ""
    severity: str = ""  # a Severity value; "" = information only (skipped)
    cvss: Decimal | None = None
    solution: str = ""

    def as_data(self) -> dict[str, Any]:
        return {"line": self.line, "host": self.host, "hostname": self.hostname, "asset_tag": self.asset_tag,
                "port": self.port, "vuln_id": self.vuln_id, "cves": self.cves, "name": self.name,
                "severity": self.severity, "cvss": str(self.cvss) if self.cvss is not None else None,
                "solution": self.solution}


@dataclass
class ParsedExport:
    format: str
    rows: list[ScanRow]
    scanned_at: datetime | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)  # {"line": n, "message": text}


def clean(value: Any, limit: int) -> str:
    return _CONTROL.sub("", str(value or "")).strip()[:limit]


def cvss_value(text: Any) -> Decimal | None:
    try:
        value = Decimal(str(text).strip())
    except (InvalidOperation, ValueError):
        return None
    if not value.is_finite() or value < 0 or value > 10:
        return None
    return value.quantize(Decimal("0.1"))


def severity_of(cvss: Decimal | None, label: str = "") -> str:
    """Severity from the CVSS score (≥ 9 critical, ≥ 7 high, ≥ 4 medium, > 0 low), else from the
    scanner's word; "" for information only."""
    if cvss is not None:
        if cvss >= 9:
            return Severity.CRITICAL
        if cvss >= 7:
            return Severity.HIGH
        if cvss >= 4:
            return Severity.MEDIUM
        return Severity.LOW if cvss > 0 else ""
    word = label.strip().lower()
    return {"critical": Severity.CRITICAL, "high": Severity.HIGH, "medium": Severity.MEDIUM, "low": Severity.LOW,
            "严重": Severity.CRITICAL, "高": Severity.HIGH, "中": Severity.MEDIUM, "低": Severity.LOW}.get(word, "")


def cve_list(text: Any) -> list[str]:
    return sorted({m.upper() for m in _CVE.findall(str(text or ""))})


def detect_format(content: bytes, filename: str) -> str:
    head = content[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<"):
        if b"nessusclientdata" in head:
            return ExportFormat.NESSUS_XML
        if b"<report" in head or b"<get_reports_response" in head:
            return ExportFormat.OPENVAS_XML
        raise ScanFileError(_("This XML file is neither an OpenVAS / Greenbone report nor a Nessus .nessus file."))
    first = head.split(b"\n", 1)[0]
    if b"plugin id" in first and b"host" in first:
        return ExportFormat.NESSUS_CSV
    return ExportFormat.GENERIC_CSV


def parse_export(content: bytes, filename: str) -> ParsedExport:
    """Rows of a scanner export, its format detected from the content."""
    if len(content) > MAX_UPLOAD_BYTES:
        raise ScanFileError(_("The file is larger than the limit of %(mb)s MB.") % {"mb": MAX_UPLOAD_BYTES // 2**20})
    if not content.strip():
        raise ScanFileError(_("The file is empty."))
    fmt = detect_format(content, filename)
    try:
        if fmt == ExportFormat.OPENVAS_XML:
            parsed = _openvas(_xml(content))
        elif fmt == ExportFormat.NESSUS_XML:
            parsed = _nessus_xml(_xml(content))
        elif fmt == ExportFormat.NESSUS_CSV:
            parsed = _nessus_csv(read_table(content, filename))
        else:
            parsed = _generic_csv(read_table(content, filename))
    except ScanFileError:
        raise
    except ImportFileError as exc:  # the CSV reader's own message (not text, not UTF-8 / GB18030, …)
        raise ScanFileError(str(exc)) from None
    if len(parsed.rows) > MAX_ROWS:
        raise ScanFileError(_("The file has more than %(n)s findings; split the export.") % {"n": MAX_ROWS})
    return parsed


def _xml(content: bytes) -> Any:
    try:
        return ElementTree.fromstring(content, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise ScanFileError(_("The XML file declares a DTD or entities, which are refused.")) from None
    except ElementTree.ParseError as exc:
        raise ScanFileError(_("The XML file cannot be read: %(error)s") % {"error": exc}) from None


def _text(node: Any, path: str) -> str:
    found = node.find(path) if node is not None else None
    return (found.text or "").strip() if found is not None and found.text else ""


def _when(text: str) -> datetime | None:
    text = text.strip()
    if not text:
        return None
    value = parse_datetime(text.replace("Z", "+00:00"))
    if value is None:
        try:
            value = datetime.strptime(text, "%a %b %d %H:%M:%S %Y").replace(tzinfo=UTC)  # Nessus HOST_START
        except ValueError:
            return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


# --- OpenVAS / Greenbone ---------------------------------------------------------------------------

def _openvas(root: Any) -> ParsedExport:
    out = ParsedExport(format=ExportFormat.OPENVAS_XML, rows=[])
    out.scanned_at = _when(_text(root, ".//scan_start")) or _when(_text(root, ".//creation_time"))
    for number, result in enumerate(root.iter("result"), start=1):
        nvt = result.find("nvt")
        if nvt is None:
            continue  # a <result> reference without details (e.g. in a delta or a note)
        host_node = result.find("host")
        host = clean(host_node.text if host_node is not None else "", 200)
        hostname = clean(_text(host_node, "hostname"), 200)
        if not host and not hostname:
            out.errors.append({"line": number, "message": _("No host.")})
            continue
        cvss = cvss_value(_text(result, "severity") or _text(nvt, "cvss_base"))
        cves = sorted({ref.get("id", "").upper() for ref in nvt.iter("ref") if ref.get("type", "").lower() == "cve"}
                      | set(cve_list(_text(nvt, "cve"))))
        solution = _text(nvt, "solution")
        if not solution:
            tags = dict(part.split("=", 1) for part in _text(nvt, "tags").split("|") if "=" in part)
            solution = tags.get("solution", "")
        out.rows.append(ScanRow(
            line=number, host=host or hostname, hostname=hostname, port=clean(_text(result, "port"), 40),
            vuln_id=clean(nvt.get("oid", "") or (cves[0] if cves else ""), 200), cves=cves,
            name=clean(_text(result, "name") or _text(nvt, "name"), 300),
            severity=severity_of(cvss, _text(result, "threat")), cvss=cvss, solution=clean(solution, 5000)))
    return out


# --- Nessus ----------------------------------------------------------------------------------------

_NESSUS_LEVEL = {"4": Severity.CRITICAL, "3": Severity.HIGH, "2": Severity.MEDIUM, "1": Severity.LOW}


def _nessus_port(port: str, protocol: str) -> str:
    port = port.strip()
    return "" if port in ("", "0") else f"{port}/{protocol.strip() or 'tcp'}"


def _nessus_xml(root: Any) -> ParsedExport:
    out = ParsedExport(format=ExportFormat.NESSUS_XML, rows=[])
    if root.tag != "NessusClientData_v2":
        raise ScanFileError(_("Only Nessus .nessus version 2 files are read."))
    number = 0
    for report_host in root.iter("ReportHost"):
        tags = {tag.get("name", ""): (tag.text or "").strip() for tag in report_host.iter("tag")}
        ip = clean(tags.get("host-ip") or report_host.get("name", ""), 200)
        hostname = clean(tags.get("hostname") or tags.get("host-fqdn") or tags.get("netbios-name") or "", 200)
        when = _when(tags.get("HOST_START", "")) or _when(tags.get("HOST_END", ""))
        if when is not None and (out.scanned_at is None or when > out.scanned_at):
            out.scanned_at = when
        for item in report_host.iter("ReportItem"):
            number += 1
            cvss = cvss_value(_text(item, "cvss3_base_score") or _text(item, "cvss_base_score"))
            level = _NESSUS_LEVEL.get(item.get("severity", "0"), "")
            out.rows.append(ScanRow(
                line=number, host=ip or hostname, hostname=hostname,
                port=clean(_nessus_port(item.get("port", ""), item.get("protocol", "")), 40),
                vuln_id=clean(item.get("pluginID", ""), 200),
                cves=sorted({(c.text or "").strip().upper() for c in item.iter("cve") if c.text}),
                name=clean(item.get("pluginName", ""), 300), severity=level, cvss=cvss,
                solution=clean(_text(item, "solution"), 5000)))
    return out


def _header_map(header: list[str], names: dict[str, tuple[str, ...]]) -> dict[str, int]:
    lowered = [h.strip().lower() for h in header]
    found: dict[str, int] = {}
    for key, aliases in names.items():
        for alias in aliases:
            if alias in lowered:
                found[key] = lowered.index(alias)
                break
    return found


def _cell(row: list[str], cols: dict[str, int], key: str) -> str:
    index = cols.get(key)
    return row[index] if index is not None and index < len(row) else ""


NESSUS_CSV_COLUMNS = {
    "plugin": ("plugin id",), "cve": ("cve",), "cvss3": ("cvss v3.0 base score",),
    "cvss": ("cvss v2.0 base score", "cvss"), "risk": ("risk",), "host": ("host", "ip address"),
    "protocol": ("protocol",), "port": ("port",), "name": ("name",), "solution": ("solution",),
}


def _nessus_csv(table: Iterable[list[str]]) -> ParsedExport:
    out = ParsedExport(format=ExportFormat.NESSUS_CSV, rows=[])
    rows = iter(table)
    header = next(rows, None)
    cols = _header_map(header or [], NESSUS_CSV_COLUMNS)
    if "plugin" not in cols or "host" not in cols:
        raise ScanFileError(_("The Nessus CSV file needs the columns “Plugin ID” and “Host”."))
    merged: dict[tuple[str, str, str], ScanRow] = {}  # Nessus writes one line per CVE of a plugin
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        host, plugin = clean(_cell(row, cols, "host"), 200), clean(_cell(row, cols, "plugin"), 200)
        if not host or not plugin:
            out.errors.append({"line": number, "message": _("Host and Plugin ID are required.")})
            continue
        port = clean(_nessus_port(_cell(row, cols, "port"), _cell(row, cols, "protocol")), 40)
        key = (host, plugin, port)
        cvss = cvss_value(_cell(row, cols, "cvss3") or _cell(row, cols, "cvss"))
        if key in merged:
            merged[key].cves = sorted(set(merged[key].cves) | set(cve_list(_cell(row, cols, "cve"))))
            continue
        risk = _cell(row, cols, "risk").strip().lower()
        severity = "" if risk == "none" else (severity_of(None, risk) or severity_of(cvss))
        merged[key] = ScanRow(line=number, host=host, port=port, vuln_id=plugin, cves=cve_list(_cell(row, cols, "cve")),
                              name=clean(_cell(row, cols, "name"), 300), severity=severity, cvss=cvss,
                              solution=clean(_cell(row, cols, "solution"), 5000))
    out.rows = list(merged.values())
    return out


GENERIC_COLUMNS = {
    "id": ("id", "vulnerability id", "plugin id", "漏洞编号"), "cve": ("cve", "cves", "cve编号"),
    "cvss": ("cvss", "cvss score", "评分"), "severity": ("severity", "risk", "等级", "风险等级"),
    "host": ("host", "ip", "ip address", "ip地址", "主机"), "hostname": ("hostname", "host name", "主机名"),
    "asset_tag": ("asset tag", "asset_tag", "资产编号"), "port": ("port", "端口"), "name": ("name", "title", "漏洞名称"),
    "solution": ("solution", "fix", "修复建议", "解决方案"),
}


def _generic_csv(table: Iterable[list[str]]) -> ParsedExport:
    out = ParsedExport(format=ExportFormat.GENERIC_CSV, rows=[])
    rows = iter(table)
    header = next(rows, None)
    cols = _header_map(header or [], GENERIC_COLUMNS)
    if not ({"host", "hostname", "asset_tag"} & set(cols)) or not ({"cve", "id"} & set(cols)):
        raise ScanFileError(_("The CSV file needs a host, hostname or asset tag column and a CVE or id column "
                              "(columns: CVE, CVSS, host, port, name, solution)."))
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        host = clean(_cell(row, cols, "host"), 200)
        hostname = clean(_cell(row, cols, "hostname"), 200)
        asset_tag = clean(_cell(row, cols, "asset_tag"), 100)
        cves = cve_list(_cell(row, cols, "cve"))
        vuln_id = clean(_cell(row, cols, "id"), 200) or ",".join(cves)[:200]
        cvss_text = _cell(row, cols, "cvss").strip()
        cvss = cvss_value(cvss_text) if cvss_text else None
        problems = []
        if not (host or hostname or asset_tag):
            problems.append(_("No host, host name or asset tag."))
        if not vuln_id:
            problems.append(_("No CVE or vulnerability id."))
        if cvss_text and cvss is None:
            problems.append(_("CVSS must be a number from 0 to 10."))
        if problems:
            out.errors.append({"line": number, "message": " ".join(str(p) for p in problems)})
            continue
        severity = severity_of(None, _cell(row, cols, "severity")) or severity_of(cvss)
        if cvss is None and not severity:
            severity = Severity.MEDIUM  # neither a score nor a level: treat as medium until someone looks
        out.rows.append(ScanRow(line=number, host=host or hostname or asset_tag, hostname=hostname,
                                asset_tag=asset_tag, port=clean(_cell(row, cols, "port"), 40), vuln_id=vuln_id,
                                cves=cves, name=clean(_cell(row, cols, "name"), 300) or vuln_id, severity=severity,
                                cvss=cvss, solution=clean(_cell(row, cols, "solution"), 5000)))
    return out
