"""Issue #12 item 8: every figure in the monthly report adds up, read back from the PDF's text
(pdftotext) in both languages: the average duration × the restored faults gives the printed total
(it was 3201 vs 533.7 × 6: the total rounded down, the average from unrounded seconds), and every
trend row's faults are the sum of its levels."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone, translation

from incidents.services import incident_create
from reports.kinds import monthly_fault_summary as mfs
from reports.pdf import render_pdf
from reports.periods import period_parse
from reports.registry import ReportInput
from tests.factories import OrganizationFactory

from .helpers import MONTH, at, pdf_text, walk

pytestmark = pytest.mark.django_db
LONG = timedelta(minutes=10, seconds=59)  # three of these: 32 min 57 s in all


@pytest.fixture
def odd_durations(boss, tech):
    org = OrganizationFactory(name="Odd minutes", code="odd")
    for day in (5, 6, 7):
        t = at(day, 10)
        inc = incident_create(actor=boss, organization=org, title="Camera offline", fault_level="IV",
                              level_reason="test", now=t)
        walk(inc, boss, [("assign", t, {"assignee": tech.pk}), ("accept", t + timedelta(minutes=1), {}),
                         ("restore", t + LONG, {"workaround": "restarted"})])
    incident_create(actor=boss, organization=org, title="Still open", fault_level="III", level_reason="t",
                    now=at(8, 10))
    return org


def _report(org, language, tmp_path):
    p = period_parse(MONTH)
    with translation.override(language):
        ctx = mfs.build(ReportInput(organization=org, start=p.start, end=p.end, period_label=p.text,
                                    now=timezone.now(), options={}))
        pdf = render_pdf(template="reports/pdf/monthly_fault_summary.html", context=ctx, language=language)
    return ctx, " ".join(pdf_text(pdf, tmp_path).split()), pdf_text(pdf, tmp_path, layout=True)


PATTERNS = {
    "en": (r"service was restored on (\d+) of them",
           r"Total fault duration: (\d+) minutes; average duration: ([\d.]+) minutes"),
    "zh-hans": (r"其中 ?(\d+) ?起已恢复服务", r"故障总历时为 ?(\d+) ?分钟，平均历时为 ?([\d.]+) ?分钟"),
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_average_times_count_is_the_total_in_the_pdf(odd_durations, language, tmp_path):
    ctx, text, layout = _report(odd_durations, language, tmp_path)
    restored_re, duration_re = PATTERNS[language]
    restored = int(re.search(restored_re, text).group(1))
    match = re.search(duration_re, text)
    assert match, text[:1500]
    total, average = int(match.group(1)), float(match.group(2))
    assert (restored, total) == (3, 32)  # 3 × 10 min 59 s = 32 min 57 s, whole minutes printed
    assert abs(average * restored - total) <= 0.05 * restored, (average, restored, total)  # was 11.0 × 3 = 33
    # The trend table: each month's faults = the sum of its four levels (pdftotext -layout keeps the rows).
    rows = re.findall(r"^\s*(?:[A-Z][a-z]+ \d{4}|\d{4} ?年 ?\d{1,2} ?月)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(?:[\d.]+|–)\s+(?:[\d.]+|–)\s*$",
                      layout, flags=re.M)
    assert len(rows) >= 12, layout
    for row in rows:
        levels, faults = [int(v) for v in row[:4]], int(row[4])
        assert sum(levels) == faults, row
    assert sum(int(r[4]) for r in rows[-1:]) == ctx["figures"]["faults"] == 4


def test_chart_axes_of_counts_have_whole_ticks():
    from reports import charts

    svg = str(charts.stacked_bar_chart(labels=["a", "b"], series=[("Level I", [75, 3]), ("Level II", [0, 1])]))
    ticks = re.findall(r'text-anchor="end" font-size="10" fill="#555"[^>]*>([^<]+)<', svg)
    assert ticks and all(t.isdigit() for t in ticks), ticks  # was 0, 18.8, 37.5, 56.2, 75
    legend = str(charts.line_chart(labels=["x"], series=[("Repair on time within the contracted restore target %",
                                                          [50])], width=300))
    assert "…" not in legend and "contracted" in legend  # wrapped, not truncated
    pie = str(charts.pie_chart(slices=[("Third party / external supplier fault", 3)], width=380))
    assert "…" not in pie and "supplier" in pie
    for x in re.findall(r'<text x="([\d.]+)"[^>]*text-anchor="start"', pie):
        assert float(x) < 380
