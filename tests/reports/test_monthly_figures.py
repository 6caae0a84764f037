"""The monthly fault summary: every figure equals the same figure computed from the public API
(/api/v1/incidents/ with the month's boundaries in Asia/Shanghai), and the PDF's text carries it."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from incidents.selectors import ci_replacement_list
from reports.kinds import monthly_fault_summary as mfs
from reports.pdf import render_pdf
from reports.periods import period_parse
from reports.registry import ReportInput

from .helpers import MONTH, pdf_text

pytestmark = pytest.mark.django_db

COUNTED_STATUSES = ["new", "assigned", "in_progress", "pending", "resolved", "observing", "closed"]


def api_month(client: Any, org_id: int, month: str) -> list[dict[str, Any]]:
    """Every counted incident of the month through the API: organisation, local-month boundaries
    (ISO with +08:00), every status but cancelled; follows the keyset pages."""
    p = period_parse(month)
    params: dict[str, Any] = {"organization": org_id, "reported_after": p.start.isoformat(),
                              "reported_before": p.end.isoformat(), "status": COUNTED_STATUSES, "page_size": 200}
    rows: list[dict[str, Any]] = []
    url: str | None = "/api/v1/incidents/"
    while url:
        response = client.get(url, params if url == "/api/v1/incidents/" else None)
        assert response.status_code == 200, response.content
        body = response.json()
        rows += body["results"]
        url = body["next"]
    return rows


def ts(value: str | None) -> datetime | None:
    return parse_datetime(value) if value else None


def expected_figures(rows: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    """The figures, defined as in reports/kinds/monthly_fault_summary.py, from API rows only."""
    def cause(*values: str) -> int:
        return sum(1 for r in rows if r["cause_category"] in values)

    ends = [(ts(r["restored_at"]) or ts(r["resolved_at"]), ts(r["reported_at"])) for r in rows]
    seconds = sum((end - start).total_seconds() for end, start in ends if end is not None)
    restored = sum(1 for end, _start in ends if end is not None)

    def verdict(row: dict[str, Any], target: str) -> str | None:
        due = ts(row["sla"].get(f"{target}_due"))
        if due is None:
            return None
        # A target is met by its own stamp or a later step that implies it (restore meets on-site).
        stamps = {"respond": ("responded_at", "onsite_at", "restored_at"), "onsite": ("onsite_at", "restored_at"),
                  "restore": ("restored_at",)}[target]
        met = min((ts(row[s]) for s in stamps if row[s]), default=None)
        if met is not None:
            return "met" if met <= due else "missed"
        return "missed" if due < now else None

    restore = [verdict(r, "restore") for r in rows]
    on_time, late = restore.count("met"), restore.count("missed")
    sla = {}
    for level in ("I", "II", "III", "IV"):
        for target in ("respond", "onsite", "restore"):
            v = [verdict(r, target) for r in rows if r["fault_level"] == level]
            sla[(level, target)] = (v.count("met"), v.count("missed"))
    return {
        "faults": len(rows),
        "user_reports": sum(1 for r in rows if r["channel"] in ("phone", "portal", "email")),
        "major_faults": sum(1 for r in rows if r["fault_level"] in ("I", "II")),
        "system_faults": cause("software", "configuration", "network"),
        "device_faults": cause("hardware"),
        "device_cis": len({r["ci"] for r in rows if r["cause_category"] == "hardware" and r["ci"]}),
        "device_main_faults": sum(1 for r in rows if r["cause_category"] == "hardware"
                                  and r["fault_level"] in ("I", "II")),
        "power_faults": cause("power"),
        "safety_incidents": cause("security"),
        "restored": restored,
        "duration_total_minutes": int(seconds // 60),
        "duration_avg_minutes": round(int(seconds // 60) / restored, 1) if restored else None,
        "repair_on_time": on_time,
        "repair_late": late,
        "repair_on_time_pct": round(100 * on_time / (on_time + late), 1) if on_time + late else None,
        "sla": sla,
    }


def build(org: Any, month: str = MONTH, **options: Any) -> dict[str, Any]:
    p = period_parse(month)
    return mfs.build(ReportInput(organization=org, start=p.start, end=p.end, period_label=p.text,
                                 now=timezone.now(), options=options))


def test_every_figure_equals_the_api(october, api_as, boss):
    ctx = build(october["org"])
    rows = api_month(api_as(boss), october["org"].pk, MONTH)
    expected = expected_figures(rows, timezone.now())
    f = ctx["figures"]
    for key, value in expected.items():
        if key != "sla":
            assert f[key] == value, key
    for row in ctx["sla"]["rows"]:
        for cell in row["targets"]:
            assert (cell["met"], cell["missed"]) == expected["sla"][(row["level"], cell["target"])], (row["level"],
                                                                                                        cell["target"])


def test_the_fixture_figures_by_hand(october):
    """The same numbers worked out by hand, so a shared mistake in both computations still fails."""
    f = build(october["org"])["figures"]
    assert f["faults"] == 8  # i1–i7 and the 23:30 fault; not the cancelled one, not 1 November 00:10
    assert f["user_reports"] == 7  # all but the monitoring fault (i3); e-mail (i4) and portal (i2) count
    assert f["major_faults"] == 3  # i1 (I), i2 (II), i6 (II)
    assert f["system_faults"] == 2  # i3 software, i5 network
    assert f["device_faults"] == 2 and f["device_cis"] == 2 and f["device_main_faults"] == 1  # i1, i7
    assert f["power_faults"] == 1 and f["safety_incidents"] == 1
    assert f["restored"] == 6
    # i1 180 + i2 540 + i3 120 + i4 60 + i5 180 + i7 240 minutes
    assert f["duration_total_minutes"] == 1320
    assert f["duration_avg_minutes"] == 220.0
    assert f["repair_late"] >= 2  # i2 restored after 9 h (8 h target), i6 never restored


def test_period_boundaries_follow_asia_shanghai(october, api_as, boss):
    """23:30 on 31 October local time counts in October; 00:10 on 1 November local (16:10 UTC on the
    31st) counts in November — in the report and in the API's month filter alike."""
    late, nov = october["late"], october["november"]
    assert timezone.localtime(late.reported_at).day == 31
    assert nov.reported_at.astimezone(UTC).day == 31  # still October in UTC
    oct_rows = api_month(api_as(boss), october["org"].pk, "2026-10")
    nov_rows = api_month(api_as(boss), october["org"].pk, "2026-11")
    assert late.number in {r["number"] for r in oct_rows}
    assert nov.number not in {r["number"] for r in oct_rows}
    assert nov.number in {r["number"] for r in nov_rows}
    assert build(october["org"], "2026-10")["figures"]["faults"] == len(oct_rows)
    assert build(october["org"], "2026-11")["figures"]["faults"] == len(nov_rows) == 1
    month_filter = api_as(boss).get("/api/v1/incidents/", {"organization": october["org"].pk, "month": "2026-10",
                                                           "page_size": 200}).json()["results"]
    assert late.number in {r["number"] for r in month_filter}
    assert nov.number not in {r["number"] for r in month_filter}


def test_other_sections(october, boss):
    ctx = build(october["org"])
    # cam1: i1, i2, i5 (its cancelled duplicate does not count); cam2: i3, i7 and the 23:30 fault
    assert [c["name"] for c in ctx["replacements"]] == ["路口摄像机-01", "路口摄像机-02"]
    flagged = ci_replacement_list(user=boss, month=date(2026, 10, 1)).filter(ci__organization=october["org"])
    assert sorted(r["ci_name"] for r in flagged) == [c["name"] for c in ctx["replacements"]]
    assert ctx["top_cis"][0] == {"name": "路口摄像机-01", "class": "摄像机", "location": "North gate", "count": 3}
    s = ctx["satisfaction"]
    assert (s["count"], s["average"], s["unhappy"]) == (3, 3.67, 1)
    trend = {t["month"]: t for t in ctx["trend"]}
    assert len(ctx["trend"]) == 12 and ctx["trend"][-1]["month"] == "2026-10"
    assert trend["2026-10"]["total"] == 8 and trend["2026-09"]["total"] == 1
    assert trend["2026-10"]["on_time_pct"] == ctx["figures"]["repair_on_time_pct"]
    assert ctx["breach_count"] == len(ctx["breaches"]) >= 3
    numbers = {b["number"] for b in ctx["breaches"]}
    assert {october["i2"].number, october["i6"].number} <= numbers
    reason = next(b["reason"] for b in ctx["breaches"] if b["number"] == october["i2"].number)
    assert "Mains breaker tripped" in reason
    assert [r["number"] for r in ctx["main_device_faults"]] == [october["i1"].number]
    assert ctx["long_faults"][0]["number"] == october["i2"].number


def test_all_organisations_scope(october):
    ctx = build(None)
    assert ctx["figures"]["faults"] == 9  # the other organisation's October fault too
    assert ctx["organization_name"] is None


def _figure(text: str, pattern: str) -> str:
    match = re.search(pattern, " ".join(text.split()))
    assert match, pattern
    return match.group(1)


def test_pdf_text_carries_the_api_figures(october, api_as, boss, tmp_path):
    ctx = build(october["org"])
    pdf = render_pdf(template="reports/pdf/monthly_fault_summary.html", context=ctx, language="en")
    text = pdf_text(pdf, tmp_path)
    expected = expected_figures(api_month(api_as(boss), october["org"].pk, MONTH), timezone.now())
    assert _figure(text, r"User reports this month: (\d+)\.") == str(expected["user_reports"])
    assert _figure(text, r"Major faults \(level I–II\): (\d+)\.") == str(expected["major_faults"])
    assert _figure(text, r"System-class faults: (\d+)\.") == str(expected["system_faults"])
    assert _figure(text, r"Device faults: (\d+) on") == str(expected["device_faults"])
    assert _figure(text, r"main faults \(level I–II\): (\d+)\.") == str(expected["device_main_faults"])
    assert _figure(text, r"Total fault duration: (\d+) minutes") == str(expected["duration_total_minutes"])
    assert _figure(text, r"average duration: ([\d.]+) minutes") == str(expected["duration_avg_minutes"])
    assert _figure(text, r"Repair-on-time rate: ([\d.]+)%") == str(expected["repair_on_time_pct"])
    assert _figure(text, r"Safety incidents: (\d+)\.") == str(expected["safety_incidents"])
    assert _figure(text, r"Power-system faults: (\d+)\.") == str(expected["power_faults"])
    assert "Org A" not in text and "路口摄像机-01" in text
    assert "Page 1 of" in text


def test_the_portable_orm_path_gives_the_same_report(october, monkeypatch):
    """SQLite (the embedded default) runs the same definitions through the ORM: same context."""
    from django.db import connection

    p = period_parse(MONTH)
    inp = ReportInput(organization=october["org"], start=p.start, end=p.end, period_label=p.text,
                      now=timezone.now())
    with_sql = mfs.build(inp)
    monkeypatch.setattr(connection, "vendor", "sqlite-like")
    portable = mfs.build(inp)
    monkeypatch.undo()
    for key in ("figures", "by_level", "by_cause", "sla", "breach_count", "breaches", "trend", "top_cis",
                "replacements", "satisfaction", "main_device_faults", "long_faults"):
        assert portable[key] == with_sql[key], key
