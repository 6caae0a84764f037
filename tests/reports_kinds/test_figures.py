"""Each kind's build() figures on the fixture story equal the same figures counted independently: from
the incidents API with the period's boundaries (Asia/Shanghai), or by hand from the story."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from reports.periods import period_parse
from reports.registry import kind_get, kind_list

from .conftest import report_input

pytestmark = pytest.mark.django_db

KINDS = ("fault_analysis", "major_fault", "response_service", "proactive_service", "daily_log",
         "quarterly_management", "service_summary")


def api_count(api: Any, **params: Any) -> int:
    """How many incidents the public API lists for these filters (walking the pages)."""
    total = 0
    url: str | None = "/api/v1/incidents/"
    query: dict[str, Any] | None = {**params, "page_size": 100}
    while url:
        response = api.get(url, query) if query is not None else api.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        total += len(body["results"])
        url, query = body.get("next"), None
    return total


def period_params(period: str, org: Any) -> dict[str, Any]:
    p = period_parse(period)
    return {"organization": org.pk, "reported_after": p.start.isoformat(), "reported_before": p.end.isoformat()}


def test_every_kind_is_registered_with_its_template_and_periods():
    codes = {k.code: k for k in kind_list()}
    for code in KINDS:
        assert code in codes, code
        assert codes[code].template == f"reports/pdf/{code}.html"
    assert codes["daily_log"].period_kinds == ("day",)
    assert codes["quarterly_management"].period_kinds == ("quarter",)
    assert set(codes["service_summary"].period_kinds) >= {"month", "quarter", "year"}
    assert codes["fault_analysis"].scope == codes["major_fault"].scope == codes["response_service"].scope == "incident"


def test_daily_log_figures(story, api_as, manager):
    s = story
    ctx = kind_get("daily_log").build(report_input(organization=s.org_a, period="2026-10-15", now=s.now))
    api = api_as(manager)
    opened = api_count(api, **period_params("2026-10-15", s.org_a))
    assert ctx["flow"]["opened"] == opened == 3  # inc1, inc4 (cancelled) and inc2 at 23:30 local; not B's inc5
    assert ctx["flow"]["cancelled"] == api_count(api, status="cancelled", **period_params("2026-10-15", s.org_a)) == 1
    assert ctx["flow"]["restored"] == 1 and ctx["flow"]["resolved"] == 1  # inc1 only (inc2 resolves the next day)
    assert ctx["flow"]["closed"] == 0  # a cancellation is not a closure
    assert ctx["flow"]["open_at_end"] == 2  # inc2 (resolved the next morning) and September's inc6
    assert ctx["calls"] == {"total": 4, "answered": 3, "missed": 1, "connect_rate": 75.0}
    assert {r["value"]: r["count"] for r in ctx["requests_by_type"]} == {"training": 1, "complaint": 1}
    levels = {r["level"]: r["count"] for r in ctx["levels"]}
    assert levels == {"I": api_count(api, fault_level="I", status=["resolved"], **period_params("2026-10-15", s.org_a)),
                      "II": 0, "III": 1, "IV": 0}
    assert ctx["progress_updates"] == 2
    assert (ctx["work_minutes"], ctx["work_count"]) == (45, 1)  # inc2's log is dated the next day
    assert [i["number"] for i in ctx["new_incidents"]] == [s.inc[k].number for k in ("inc1", "inc4", "inc2")]
    assert [m["number"] for m in ctx["major"]] == [s.inc["inc1"].number]


def test_daily_log_for_all_organisations_counts_b_too(story):
    ctx = kind_get("daily_log").build(report_input(organization=None, period="2026-10-15", now=story.now))
    assert ctx["flow"]["opened"] == 4
    assert ctx["calls"]["total"] == 5


def test_day_boundary_follows_the_configured_zone(story):
    """inc2 was reported at 23:30 Shanghai time on the 15th (15:30 UTC): it belongs to the 15th, and
    September's 23:30 incident (inc6) to September, not October."""
    s = story
    next_day = kind_get("daily_log").build(report_input(organization=s.org_a, period="2026-10-16", now=s.now))
    assert next_day["flow"]["opened"] == 0
    assert next_day["flow"]["resolved"] == 1  # inc2, resolved at 08:30 on the 16th
    october = kind_get("service_summary").build(report_input(organization=s.org_a, period="2026-10", now=s.now))
    september = kind_get("service_summary").build(report_input(organization=s.org_a, period="2026-09", now=s.now))
    assert october["faults"]["total"] == 4
    assert september["faults"]["total"] == 1


def test_proactive_service_figures(story, api_as, manager):
    s = story
    ctx = kind_get("proactive_service").build(report_input(organization=s.org_a, period="2026-10", now=s.now))
    api = api_as(manager)
    params = period_params("2026-10", s.org_a)
    monitoring = api_count(api, channel="monitoring", **params)
    inspection = api_count(api, channel="inspection", **params)
    faults = api_count(api, **params) - api_count(api, status="cancelled", **params)
    assert ctx["found"]["monitoring"] == monitoring == 1
    assert ctx["found"]["inspection"] == inspection == 1
    assert ctx["found"]["proactive"] == 2
    assert ctx["found"]["total"] == faults == 4
    assert ctx["found"]["proactive_pct"] == 50.0
    assert {r["level"]: (r["monitoring"], r["inspection"]) for r in ctx["levels"]} == {
        "I": (0, 0), "II": (0, 0), "III": (1, 0), "IV": (0, 1)}
    assert ctx["checks"] == {"total": 2, "problems": 1, "incidents": 2}
    assert ctx["callbacks"]["total"] == 1 and ctx["callbacks"]["avg"] == 4.0
    assert ctx["training"] == {"total": 1, "done": 0}
    assert ctx["work_minutes"] == 30  # the monitoring incident's work log; inc1 (phone) is not proactive
    assert [r["number"] for r in ctx["found_list"]] == [s.inc["inc2"].number, s.inc["inc3"].number]


def test_quarterly_management_figures(story, api_as, manager):
    s = story
    ctx = kind_get("quarterly_management").build(report_input(
        organization=s.org_a, period="2026-Q4", now=s.now, options={"recommendations": "Replace cam-gate-01"}))
    api = api_as(manager)
    params = period_params("2026-Q4", s.org_a)
    faults = api_count(api, **params) - api_count(api, status="cancelled", **params)
    assert ctx["faults"]["total"] == faults == 4
    assert ctx["faults"]["major"] == api_count(api, fault_level=["I", "II"], **params) == 1
    assert {r["level"]: r["count"] for r in ctx["levels"]} == {
        lv: api_count(api, fault_level=lv, status=["new", "assigned", "in_progress", "pending", "resolved",
                                                   "observing", "closed"], **params)
        for lv in ("I", "II", "III", "IV")}
    # durations: inc1 150 min (to restoration), inc2 540 min and inc3 120 min (to resolution); inc7 is open
    assert ctx["durations"] == {"with_duration": 3, "total_minutes": 810, "avg_minutes": 270.0}
    assert ctx["cmdb"]["totals"]["total"] == 2 and ctx["cmdb"]["totals"]["in_use"] == 2
    assert [(r["name"], r["faults"]) for r in ctx["top_cis"]] == [("cam-gate-01", 3), ("cam-hall-02", 1)]
    assert [(r["name"], r["month_label"], r["faults"]) for r in ctx["replacements"]] == [("cam-gate-01", "2026-10", 3)]
    assert ctx["complaints"]["total"] == 1 and ctx["complaints"]["open"] == 1
    assert ctx["satisfaction"] == {"ratings": 2, "avg": 4.0, "satisfied_pct": 50.0}
    assert ctx["recommendations"] == "Replace cam-gate-01"
    assert {r["label"]: r["count"] for r in ctx["trend"]}["2026-10"] == 4
    assert {r["label"]: r["count"] for r in ctx["trend"]}["2026-09"] == 1  # the trend reaches back six months
    # SLA: inc1 met response, on site and restore in time; the others' clocks are judged the same way
    sla = {r["target"]: r for r in ctx["sla"]}
    assert sla["respond"]["met"] + sla["respond"]["missed"] >= 3
    assert ctx["changes"] is not None and ctx["changes"]["implemented"] == 0
    assert ctx["spares"] is not None and ctx["spares"]["issued"] == 0


def test_sla_attainment_counts_a_late_response_as_missed(story, make_incident, org_a):
    from incidents.services import incident_create, incident_transition

    s = story
    t = s.inc["inc3"].reported_at + timedelta(days=1)
    late = incident_create(actor=s.lead, organization=org_a, title="Late one", impact="high", urgency="high",
                           reported_at=t, now=t)
    incident_transition(incident_id=late.pk, actor=s.lead, action="assign", payload={"assignee": s.engineer.pk},
                        now=t + timedelta(minutes=1))
    incident_transition(incident_id=late.pk, actor=s.engineer, action="accept", payload={}, now=t + timedelta(hours=5))
    before = {r["target"]: r for r in kind_get("quarterly_management").build(
        report_input(organization=org_a, period="2026-Q4", now=s.now))["sla"]}
    assert before["respond"]["missed"] >= 1
    from tickets.models import SLAClock

    clocks = SLAClock.objects.filter(ticket_kind="incident", target="respond", ticket_id__in=[
        i.pk for k, i in s.inc.items() if k.startswith("inc") and k not in ("inc4", "inc5", "inc6")] + [late.pk])
    met = sum(1 for c in clocks if c.met_at is not None and c.met_at <= c.due_at)
    missed = sum(1 for c in clocks if (c.met_at is not None and c.met_at > c.due_at)
                 or (c.met_at is None and c.due_at < s.now))
    assert (before["respond"]["met"], before["respond"]["missed"]) == (met, missed)


def test_service_summary_figures(story, api_as, manager):
    s = story
    ctx = kind_get("service_summary").build(report_input(organization=s.org_a, period="2026-10", now=s.now))
    api = api_as(manager)
    params = period_params("2026-10", s.org_a)
    assert ctx["faults"]["total"] == api_count(api, **params) - api_count(api, status="cancelled", **params)
    assert ctx["calls"]["total"] == 4 and ctx["calls"]["connect_rate"] == 75.0
    assert ctx["requests"]["total"] == 2
    assert ctx["work_minutes"] == 75 and ctx["work_hours"] == 1.2
    assert ctx["inspection"] == {"found_by_inspection": 1, "found_by_monitoring": 1, "checks": 2, "problems": 1}
    assert [r["label"] for r in ctx["trend"]] == ["2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"]
    year = kind_get("service_summary").build(report_input(organization=s.org_a, period="2026", now=s.now))
    assert year["faults"]["total"] == 5  # October's four and September's inc6
    assert len(year["trend"]) == 12


def test_response_service_figures(story):
    s = story
    ctx = kind_get("response_service").build(report_input(organization=s.org_a, incident=s.inc["inc1"], now=s.now))
    assert ctx["report_number"] == f"ST.FO05-94-{s.inc['inc1'].number}"
    assert ctx["service_date"] == "2026-10-15"
    minutes = {str(t["label"]): t["minutes"] for t in ctx["times"]}
    assert minutes["Responded"] == 10 and minutes["On site"] == 30 and minutes["Service restored"] == 150
    verdicts = {str(r["target"]): r["verdict"] for r in ctx["sla"]}
    assert verdicts["respond"] == verdicts["onsite"] == verdicts["restore"] == "met"
    assert (ctx["work_minutes"], ctx["work_count"]) == (45, 1)
    assert ctx["rating_stars"] == 5
    assert ctx["contact"] == "Zhao Lian" and ctx["ci_name"] == "cam-gate-01"


def test_major_fault_progress_timeline(story):
    s = story
    ctx = kind_get("major_fault").build(report_input(organization=s.org_a, incident=s.inc["inc1"], now=s.now))
    assert [(p["gap"], p["on_time"]) for p in ctx["progress"]] == [(50, True), (70, False)]
    assert ctx["progress_count"] == 2 and ctx["progress_late"] == 1
    assert ctx["down_minutes"] == 150 and not ctx["still_down"]


def test_tables_follow_the_context(story):
    s = story
    for code, period, inc in (("daily_log", "2026-10-15", None), ("proactive_service", "2026-10", None),
                              ("quarterly_management", "2026-Q4", None), ("service_summary", "2026-10", None),
                              ("response_service", None, s.inc["inc1"]), ("major_fault", None, s.inc["inc1"]),
                              ("fault_analysis", None, s.inc["inc1"])):
        kind = kind_get(code)
        ctx = kind.build(report_input(organization=s.org_a, period=period, incident=inc, now=s.now))
        tables = kind.tables(ctx)
        assert tables and all(len(row) == len(t.headers) for t in tables for row in t.rows), code
    daily = kind_get("daily_log")
    summary = daily.tables(daily.build(report_input(organization=s.org_a, period="2026-10-15", now=s.now)))[0]
    assert dict((str(k), v) for k, v in summary.rows)["Incidents opened"] == 3


def test_build_queries_do_not_grow_with_the_data(story, django_assert_max_num_queries):
    """Figures are SQL aggregates: the query count is fixed whatever the number of incidents."""
    s = story
    with django_assert_max_num_queries(40):
        kind_get("quarterly_management").build(report_input(organization=s.org_a, period="2026-Q4", now=s.now))
    with django_assert_max_num_queries(30):
        kind_get("daily_log").build(report_input(organization=s.org_a, period="2026-10-15", now=s.now))
