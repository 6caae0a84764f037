"""Each kind renders to a PDF whose text (pdftotext) carries the figures build() computed, in English
and in Chinese, with nothing of another organisation."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from reports.pdf import render_pdf
from reports.registry import kind_get

from .conftest import pdf_text, report_input

pytestmark = pytest.mark.django_db


def render(code: str, story, tmp_path, *, period=None, incident=None, language="en", options=None) -> tuple[dict, str]:
    kind = kind_get(code)
    ctx = kind.build(report_input(organization=story.org_a, period=period, incident=incident, now=story.now,
                                  options=options))
    pdf = render_pdf(template=kind.template, context=ctx, language=language)
    assert pdf.startswith(b"%PDF")
    return ctx, pdf_text(pdf, tmp_path)


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_daily_log_pdf(story, tmp_path):
    ctx, text = render("daily_log", story, tmp_path, period="2026-10-15", options={"notes": "Gate 3 fence repaired"})
    flat = squash(text)
    assert "Daily operations log" in flat and "2026-10-15" in flat and "Org A" in flat
    assert re.search(r"Calls answered / missed 3\s*/\s*1", flat)
    assert "Incidents opened (of which cancelled) 3 (1)" in flat
    assert "75.0%" in flat
    assert "Gate 3 fence repaired" in flat
    for key in ("inc1", "inc2", "inc4"):
        assert story.inc[key].number in flat
    assert story.inc["inc5"].number not in flat  # organisation B
    assert "Page 1 of" in flat


def test_proactive_service_pdf(story, tmp_path):
    ctx, text = render("proactive_service", story, tmp_path, period="2026-10")
    flat = squash(text)
    assert "ST.FO05-92" in flat
    assert "Of 4 faults in the period, 2 were found proactively: 1 by monitoring and 1 by inspection." in flat
    assert "50.0%" in flat
    assert story.inc["inc2"].number in flat and story.inc["inc3"].number in flat
    assert story.inc["inc1"].number not in flat  # reported by phone: not proactive
    assert "Train the new guards" in flat


def test_quarterly_management_pdf(story, tmp_path):
    ctx, text = render("quarterly_management", story, tmp_path, period="2026-Q4",
                       options={"recommendations": "Move cam-gate-01 under the canopy"})
    flat = squash(text)
    assert "2026-Q4" in flat
    assert "Move cam-gate-01 under the canopy" in flat
    assert f"{ctx['durations']['total_minutes']}" in flat and f"{ctx['durations']['avg_minutes']}" in flat
    assert re.search(r"Faults 1 0 1 2 4", flat)  # per level I–IV, then the total
    assert re.search(r"2026-10 cam-gate-01 North gate 3", flat)  # flagged for replacement
    sla = {r["target"]: r for r in ctx["sla"]}
    respond = sla["respond"]
    assert f"Response {respond['met']} {respond['missed']} {respond['pct']}" in flat


def test_service_summary_pdf_in_chinese_embeds_a_cjk_font(story, tmp_path):
    import shutil
    import subprocess

    kind = kind_get("service_summary")
    ctx = kind.build(report_input(organization=story.org_a, period="2026-10", now=story.now,
                                  options={"recommendations": "增加北门夜间巡检"}))
    pdf = render_pdf(template=kind.template, context=ctx, language="zh-hans")
    text = squash(pdf_text(pdf, tmp_path))
    assert "增加北门夜间巡检" in text
    with translation.override("zh-hans"):
        assert str(ctx["causes"][0]["label"]) in text  # a lazily translated label rendered in Chinese
    if shutil.which("pdffonts"):
        path = tmp_path / "zh.pdf"
        path.write_bytes(pdf)
        fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True).stdout.decode()
        assert "CJK" in fonts


def test_response_service_pdf(story, tmp_path):
    ctx, text = render("response_service", story, tmp_path, incident=story.inc["inc1"])
    flat = squash(text)
    assert f"ST.FO05-94-{story.inc['inc1'].number}" in flat
    assert "Responded 2026-10-15 09:10 10" in flat
    assert "Service restored 2026-10-15 11:30 150" in flat
    assert "1 work log, 45 minutes in all." in flat
    assert "Replaced the PSU" not in flat  # the work-log note is internal; the report goes to the customer
    assert "Replaced the camera power supply" in flat  # the resolution says what was done
    assert "Customer rating: 5 of 5." in flat


def test_major_fault_pdf(story, tmp_path):
    ctx, text = render("major_fault", story, tmp_path, incident=story.inc["inc1"])
    flat = squash(text)
    assert "Power supply found dead" in flat and "Standby camera installed" in flat
    assert re.search(r"2026-10-15 09:50 0\.83 50 Li Gong", flat)
    assert re.search(r"2026-10-15 11:00 2\.0 70 Li Gong", flat)
    assert "Updates later than" in flat


def test_fault_analysis_draft_pdf(story, tmp_path):
    ctx, text = render("fault_analysis", story, tmp_path, incident=story.inc["inc1"])
    flat = squash(text)
    assert "DRAFT" in flat
    assert "Picture lost at the inc1 site" in flat  # pre-filled from the incident's description
    assert "Switched to the standby camera" in flat  # restoration from the workaround
    assert "Power supply found dead" in flat  # progress update on the timeline
