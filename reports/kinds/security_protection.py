"""Security-protection report (安全防护报告, plan B): per organisation and month or quarter, the
antivirus coverage and the CIs flagged (old signatures, no recent scan, threats), the vulnerability
findings found and closed in the period, the open ones by severity with their due dates, overdue
ones, and the risks accepted (who, why). Figures from security.selectors.security_summary, the same
selector the in-page overview (/security/overview/) shows."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from reports.registry import ReportInput, ReportKind, Table, register
from security.selectors import security_summary

from ._shared import PDF_ROWS, header, local

TITLE = _("Security protection report")


def build(inp: ReportInput) -> dict[str, Any]:
    ctx = header(inp, TITLE)
    figures = security_summary(organization_id=inp.organization.pk if inp.organization is not None else None,
                               start=inp.start, end=inp.end, now=inp.now, rows=PDF_ROWS)
    for row in figures["av_rows"]:
        row["last_scan_local"] = local(row["last_scan_at"])[:10] if row["last_scan_at"] else ""
    for row in figures["accepted_rows"]:
        row["at_local"] = local(row["at"])[:10] if row["at"] else ""
    ctx["f"] = figures
    return ctx


def tables(ctx: dict[str, Any]) -> list[Table]:
    f = ctx["f"]
    summary = Table(title=_("Summary"), headers=[_("Figure"), _("Value")], rows=[
        [_("CIs in service"), f["cis"]], [_("CIs with antivirus"), f["av_covered"]],
        [_("Antivirus flagged"), f["av_flagged"]], [_("Vulnerabilities found"), f["found"]],
        [_("Fixed"), f["fixed"]], [_("Open"), f["open"]], [_("Overdue"), f["overdue"]],
        [_("Risks accepted in the period"), f["accepted_in_period"]], [_("False positives"), f["false_positive"]],
    ])
    severity = Table(title=_("By severity"), headers=[_("Severity"), _("Found in the period"), _("Open"), _("Overdue")],
                     rows=[[r["severity"], r["found"], r["open"], r["overdue"]] for r in f["severity_rows"]])
    open_rows = Table(title=_("Open vulnerabilities"),
                      headers=[_("Device"), _("Vulnerability"), _("CVE"), _("Severity"), _("CVSS"), _("Due")],
                      rows=[[r["ci"], r["name"], r["cves"], r["severity"], r["cvss"], r["due"]] for r in f["open_rows"]])
    accepted = Table(title=_("Accepted risks"), headers=[_("Device"), _("Vulnerability"), _("Reason"), _("Accepted by")],
                     rows=[[r["ci"], r["name"], r["reason"], r["by"]] for r in f["accepted_rows"]])
    av = Table(title=_("Antivirus exceptions"),
               headers=[_("Device"), _("Product"), _("Signature date"), _("Last scan"), _("Problem")],
               rows=[[r["ci"], r["product"], r["signature_date"], r["last_scan_local"],
                      ", ".join(str(p) for p in r["problems"])] for r in f["av_rows"]])
    return [summary, severity, open_rows, accepted, av]


register(ReportKind(code="security_protection", title=TITLE, scope="period",
                    template="reports/pdf/security_protection.html", build=build, tables=tables,
                    period_kinds=("month", "quarter")))
