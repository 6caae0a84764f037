"""The security-protection report (安全防护报告): figures counted by hand from a small story, the
same in the PDF (both languages), the Excel tables and the in-page overview; nothing of another
organisation. Set SECURITY_REPORT_PNG=<dir> to keep the rendered pages as PNG for a look."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import timezone

from reports.pdf import render_pdf
from reports.registry import kind_get
from security.choices import ScanResult
from security.services import (
    antivirus_report,
    finding_transition,
    scan_import_apply,
    scan_import_preview,
)
from tests.reports_kinds.conftest import pdf_text, report_input

from .conftest import at, fixture_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def story(hosts, org_a, org_b, engineer, manager):
    for name in ("openvas-report.xml", "generic.csv"):
        scan = scan_import_preview(organization=org_a, content=fixture_bytes(name), filename=name, full_scan=False,
                                   actor=engineer, now=at(2026, 10, 9))
        scan_import_apply(import_id=scan.pk, actor=engineer, now=at(2026, 10, 9))
    scan = scan_import_preview(organization=org_b, content=fixture_bytes("generic.csv"), filename="b.csv",
                               full_scan=False, actor=engineer, now=at(2026, 10, 9))
    scan_import_apply(import_id=scan.pk, actor=engineer, now=at(2026, 10, 9))
    from security.models import Finding

    tls = Finding.objects.get(port="443/tcp")
    finding_transition(finding_id=tls.pk, action="fix", actor=engineer, now=at(2026, 10, 20))
    spring = Finding.objects.get(vuln_id="CVE-2022-22965")
    finding_transition(finding_id=spring.pk, action="accept", actor=manager, now=at(2026, 10, 21),
                       reason="内网隔离，2027 年一季度升级")
    antivirus_report(ci=hosts["web"], actor=engineer, source="api", now=at(2026, 10, 30), data={
        "product": "Kaspersky 12", "signature_date": at(2026, 10, 30).date(), "last_scan_at": at(2026, 10, 30, 3),
        "last_scan_result": ScanResult.CLEAN})
    antivirus_report(ci=hosts["db"], actor=engineer, source="api", now=at(2026, 10, 30), data={
        "product": "360 天擎", "signature_date": at(2026, 9, 1).date(), "last_scan_at": at(2026, 10, 29, 3),
        "last_scan_result": ScanResult.THREATS})
    return org_a


def _png(pdf: bytes, tmp_path: Path, stem: str) -> None:
    out = os.environ.get("SECURITY_REPORT_PNG")
    if not out or shutil.which("pdftoppm") is None:
        return
    path = tmp_path / f"{stem}.pdf"
    path.write_bytes(pdf)
    Path(out).mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(path), str(Path(out) / stem)], check=True)


def test_security_protection_report(story, tmp_path, client, engineer):
    kind = kind_get("security_protection")
    ctx = kind.build(report_input(organization=story, period="2026-10", now=at(2026, 10, 31, 12)))
    f = ctx["f"]
    # The scans ran on 30 September (OpenVAS: its own scan time) and 9 October (generic CSV: the import).
    assert (f["cis"], f["av_covered"], f["av_flagged"]) == (2, 2, 1)
    assert (f["found"], f["fixed"], f["accepted_in_period"], f["open"]) == (2, 1, 1, 3)
    assert {r["code"]: (r["found"], r["open"]) for r in f["severity_rows"]} == {
        "critical": (2, 2), "high": (0, 1), "medium": (0, 0), "low": (0, 0)}
    assert f["unmatched"] == 2  # the OpenVAS telnet host and the generic CSV's 10.9.9.9
    assert [r["ci"] for r in f["av_rows"]] == ["Database server"]
    assert all(len(row) == len(t.headers) for t in kind.tables(ctx) for row in t.rows)
    zh_pdf = render_pdf(template=kind.template, context=ctx, language="zh-hans")
    en_pdf = render_pdf(template=kind.template, context=ctx, language="en")
    _png(zh_pdf, tmp_path, "security-zh")
    _png(en_pdf, tmp_path, "security-en")
    zh = re.sub(r"\s+", " ", pdf_text(zh_pdf, tmp_path))
    en = re.sub(r"\s+", " ", pdf_text(en_pdf, tmp_path))
    assert "安全防护报告" in zh and "内网隔离" in zh and "病毒库过期" in zh and "严重" in zh
    assert "Security protection report" in en and "Spring4Shell" in en and "signatures out of date" in en
    assert "B-WEB" not in en and "Org B" not in en
    # The in-page overview shows the same figures.
    client.force_login(engineer)
    timezone.activate("Asia/Shanghai")
    page = client.get(f"/security/overview/?organization={story.pk}&month=2026-10")
    assert page.status_code == 200 and page.context["f"]["found"] == 2 and page.context["f"]["open"] == 3
