"""Issue #16: the new report kinds (yearly satisfaction, optimisation plan, system monitoring,
performance optimisation, contact card) and the assurance sections (availability per service in the
quarterly report, the hotline connect rate in the monthly summary), rendered in both languages and
read back with pdftotext: every total is the sum of its printed rows, every percentage and average
comes from the printed counts, and the figures agree with the API. Set REPORTS_PNG_DIR to keep the
pages as PNG (pdftoppm -r 60) for looking at them."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from accounts.choices import Role
from accounts.models import SupportGroup
from cmdb.services import relation_create
from incidents.services import incident_transition
from monitoring.models import AlertRecord, AlertSource
from problems.models import Problem
from problems.services import problem_create, problem_link_incidents
from quality.models import (
    AvailabilityTarget,
    HotlineTarget,
    Question,
    Questionnaire,
    SatisfactionRating,
    SurveyAnswer,
    SurveyInvitation,
    SurveyResponse,
    SurveyRound,
)
from quality.services import phone_calls_import
from reports.pdf import render_pdf
from reports.periods import period_parse
from reports.registry import ReportInput, kind_get
from tests.factories import CIClassFactory, CIFactory, ContactFactory, OrganizationFactory, UserFactory
from tests.quality.test_assurance import ASTERISK, outage, t
from tickets.choices import EscalationRecipient
from tickets.models import EscalationStep

from .helpers import pdf_text

pytestmark = pytest.mark.django_db
NOW = t(12, 31, 12) + timedelta(days=5)  # 5 January 2027: every month of 2026 is over
LANGUAGES = ("en", "zh-hans")


@pytest.fixture
def data(db):
    boss = UserFactory(username="boss-as", role=Role.MANAGER, name="Boss Wang", phone="13900000001")
    tech = UserFactory(username="tech-as", role=Role.ENGINEER, name="Tech Li", phone="13900000002")
    org = OrganizationFactory(code="as-org", name="市公安局 Assurance", hotline="400-800-1234", address="1 Main St")
    svc_class = CIClassFactory(code="svc-as", name="业务系统", is_service=True)
    service = CIFactory(organization=org, name="视频监控 Video", ci_class=svc_class)
    CIFactory(organization=org, name="Intranet", ci_class=svc_class)  # no outage, no alerts
    switch = CIFactory(organization=org, name="switch-1", ci_class=CIClassFactory(code="sw-as", name="交换机"))
    cam_class = CIClassFactory(code="cam-as", name="摄像机")
    cam1 = CIFactory(organization=org, name="cam-1", ci_class=cam_class)
    cam2 = CIFactory(organization=org, name="cam-2", ci_class=cam_class)
    for cam in (cam1, cam2):
        relation_create(source=service, target=cam, type="depends_on", actor=boss)
        relation_create(source=cam, target=switch, type="connects_to", actor=boss)
    AvailabilityTarget.objects.create(service=service, target_pct=Decimal("99.9"))
    incs = [outage(boss, tech, org, switch, t(10, 5, 10), t(10, 5, 11)),
            outage(boss, tech, org, cam1, t(10, 5, 10, 30), t(10, 5, 12)),
            outage(boss, tech, org, cam2, t(10, 31, 23), t(11, 1, 1)),
            outage(boss, tech, org, cam1, t(11, 12, 8), t(11, 12, 8, 47)),
            outage(boss, tech, org, cam1, t(12, 2, 14), t(12, 2, 20))]
    incs[4] = incident_transition(incident_id=incs[4].pk, actor=tech, action="resolve",
                                  payload={"cause_category": "hardware", "resolution": "replaced"}, now=t(12, 2, 21))
    # a problem behind the cam-1 faults, a known error
    problem = problem_create(actor=boss, organization=org, title="cam-1 power supply", workaround="Restart the PoE port",
                             now=t(11, 13, 9))
    problem_link_incidents(problem_id=problem.pk, actor=boss, incident_ids=[incs[1].pk, incs[3].pk, incs[4].pk],
                           now=t(12, 3, 9))
    Problem.objects.filter(pk=problem.pk).update(known_error=True, known_error_at=t(12, 3, 9))
    # monitoring: alerts on cam-1 (one fed an incident responded 7 minutes later) and an unmapped one
    source = AlertSource(name="Zabbix 主站", kind="zabbix")
    source.set_new_secret()
    source.save()
    AlertRecord.objects.create(source=source, fingerprint="a1", state="resolved", title="cam-1 unreachable",
                               organization=org, ci=cam1, incident=incs[3], count=4,
                               first_seen=incs[3].responded_at - timedelta(minutes=7), last_seen=t(11, 12, 9))
    AlertRecord.objects.create(source=source, fingerprint="a2", state="firing", title="cam-1 high temperature",
                               organization=org, ci=cam1, count=9, first_seen=t(11, 20, 3), last_seen=t(11, 20, 4))
    AlertRecord.objects.create(source=source, fingerprint="a3", state="ignored", title="disk 91%",
                               organization=org, count=2, first_seen=t(12, 1, 3), last_seen=t(12, 1, 4))
    # hotline: the Asterisk file (5 calls in October, 2 answered) and a 95 % target
    phone_calls_import(actor=boss, organization=org, data=ASTERISK, filename="Master.csv", now=t(11, 1, 9))
    HotlineTarget.objects.create(organization=org, target_pct=Decimal("95"))
    # satisfaction: ratings in three months, questionnaire rounds in both halves
    for i, (when, stars) in enumerate(((t(3, 2, 9), 5), (t(3, 9, 9), 4), (t(7, 1, 9), 2), (t(10, 6, 9), 5),
                                       (t(10, 7, 9), 3))):
        SatisfactionRating.objects.create(ticket_kind="request", ticket_id=90000 + i, ticket_number=f"REQ-{i}",
                                          organization=org, stars=stars, source="portal", created_at=when)
    questionnaire = Questionnaire.objects.create(title="意见征询表")
    q1 = Question.objects.create(questionnaire=questionnaire, position=1, text="响应速度 Response speed", kind="rating")
    contacts = [ContactFactory(organization=org, name=f"Contact {i}", email=f"c{i}@example.com", phone=f"1350000000{i}")
                for i in range(3)]
    for half, ratings in ((1, [5, 4]), (2, [3])):
        rnd = SurveyRound.objects.create(questionnaire=questionnaire, organization=org, year=2026, half=half,
                                         sent_by=boss, sent_at=t(1 if half == 1 else 7, 2, 9),
                                         closes_at=t(2 if half == 1 else 8, 2, 9))
        for i, contact in enumerate(contacts):
            inv = SurveyInvitation.objects.create(round=rnd, contact=contact, email=contact.email,
                                                  created_at=rnd.sent_at, expires_at=rnd.closes_at)
            if i < len(ratings):
                resp = SurveyResponse.objects.create(round=rnd, invitation=inv, organization=org,
                                                     submitted_at=rnd.sent_at + timedelta(days=1))
                SurveyAnswer.objects.create(response=resp, question=q1, rating=ratings[i])
    # contact card: a group with its lead, escalation steps
    group = SupportGroup.objects.create(name="North team", region="North", lead=boss)
    group.members.add(tech)
    EscalationStep.objects.create(organization=org, level=1, recipient=EscalationRecipient.GROUP_LEAD)
    EscalationStep.objects.create(organization=org, level=2, recipient=EscalationRecipient.USER, user=boss)
    return {"org": org, "boss": boss, "incidents": incs}


def render(kind: str, org: Any, period: str, language: str, tmp_path: Path, **options: Any) -> tuple[dict[str, Any], str]:
    p = period_parse(period)
    k = kind_get(kind)
    with translation.override(language):
        ctx = k.build(ReportInput(organization=org, start=p.start, end=p.end, period_label=p.text, now=NOW,
                                  options=options))
        pdf = render_pdf(template=k.template, context=ctx, language=language)
        assert k.tables is not None and k.tables(ctx)  # the Excel tables build from the same context
    keep = os.environ.get("REPORTS_PNG_DIR")
    if keep and shutil.which("pdftoppm"):
        Path(keep).mkdir(parents=True, exist_ok=True)
        (tmp_path / "r.pdf").write_bytes(pdf)
        subprocess.run(["pdftoppm", "-png", "-r", "60", str(tmp_path / "r.pdf"), f"{keep}/{kind}-{language}"],
                       check=True)
    return ctx, " ".join(pdf_text(pdf, tmp_path).split())


def nums(*values: Any) -> str:
    """Cells of one printed table row, as pdftotext joins them."""
    return " ".join(str(v) for v in values)


@pytest.mark.parametrize("language", LANGUAGES)
def test_quarterly_availability_by_hand(data, language, tmp_path):
    ctx, text = render("quarterly_management", data["org"], "2026-Q4", language, tmp_path)
    services = {s["name"]: s for s in ctx["availability"]["services"]}
    video, intranet = services["视频监控 Video"], services["Intranet"]
    assert [(m["label"], m["down"], m["window"], m["incidents"]) for m in video["months"]] == [
        ("2026-10", 180, 44640, 3), ("2026-11", 60 + 47, 43200, 1), ("2026-12", 360, 44640, 1)]
    total = video["total"]
    assert (total["down"], total["window"], total["incidents"]) == (180 + 107 + 360, 132480, 5)
    assert total["achieved"] == round(100 * (132480 - 647) / 132480, 3) == 99.512
    assert total["met"] is False  # target 99.9
    for m in [*video["months"], total]:
        assert m["achieved"] == round(100 * (m["window"] - m["down"]) / m["window"], 3)
        assert nums("99.9", m["achieved"], m["down"], m["window"], m["incidents"]) in text
    assert intranet["total"]["down"] == 0 and intranet["alerts"] == 0
    assert video["alerts"] == 2 and video["alerts_received"] == 13
    assert ("Capacity: no monitoring data." if language == "en" else "容量：无监控数据。") in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_monthly_summary_prints_the_connect_rate(data, language, tmp_path):
    ctx, text = render("monthly_fault_summary", data["org"], "2026-10", language, tmp_path)
    c = ctx["hotline"]["current"]
    assert (c["offered"], c["answered"], c["rate"], c["below"]) == (5, 2, 40.0, True)
    assert c["rate"] == round(100 * c["answered"] / c["offered"], 1)
    assert nums("2026-10", 5, 2, 3, "40.0 ▼", 95) in text
    assert ctx["hotline"]["below_months"] == ["2026-10"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_yearly_satisfaction_adds_up_and_agrees_with_the_api(data, language, tmp_path, api_as):
    ctx, text = render("yearly_satisfaction", data["org"], "2026", language, tmp_path,
                       summary="Customers were satisfied overall.", recommendations="Faster call-backs.")
    r = ctx["ratings"]
    assert len(r["months"]) == 12
    total = r["total"]
    assert (total["n"], total["stars"], total["avg"]) == (5, 19, 3.8)
    assert total["n"] == sum(m["n"] for m in r["months"]) == sum(s["count"] for s in r["stars"])
    for m in [*r["months"], total]:
        if m["n"]:
            assert m["avg"] == round(m["stars"] / m["n"], 2)
            assert nums(m["n"], m["stars"], m["avg"], m["happy"], m["unhappy"]) in text
    api = api_as(data["boss"]).get("/api/v1/quality/figures/", {
        "group_by": "month", "organization": data["org"].pk, "date_from": "2026-01-01", "date_to": "2026-12-31"})
    assert api.status_code == 200
    by_month = {row["month"][:7]: row for row in api.json()["results"]}
    for m in r["months"]:
        if m["n"]:
            assert (by_month[m["label"]]["count"], by_month[m["label"]]["average"]) == (m["n"], m["avg"])
    s = ctx["surveys"]
    assert [(h["invited"], h["answered"], h["rate"]) for h in s["halves"]] == [(3, 2, 66.7), (3, 1, 33.3)]
    assert (s["invited"], s["answered"], s["rate"]) == (6, 3, 50.0)
    q = s["questions"][0]
    assert (q["avg1"], q["avg2"], q["avg"]) == (4.5, 3.0, 4.0)
    stats = api_as(data["boss"]).get("/api/v1/quality/questionnaires/stats/", {"year": 2026}).json()["results"]
    row = next(x for x in stats if x["organization_id"] == data["org"].pk)
    assert row["responses"] == s["answered"]
    assert float(row["year_average"]) == q["avg"]
    assert "Faster call-backs." in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_optimisation_report(data, language, tmp_path, api_as):
    ctx, text = render("optimisation", data["org"], "2026-Q4", language, tmp_path,
                       recommendations="Replace the PoE switch.")
    api = api_as(data["boss"]).get("/api/v1/incidents/", {
        "organization": data["org"].pk, "reported_after": period_parse("2026-Q4").start.isoformat(),
        "reported_before": period_parse("2026-Q4").end.isoformat(), "page_size": 200}).json()["results"]
    assert ctx["total"] == len([r for r in api if r["status"] != "cancelled"]) == 5
    assert sum(r["count"] for r in ctx["classes"]) + ctx["no_device"] == ctx["total"]
    for r in ctx["classes"]:
        assert r["share"] == round(100 * r["count"] / ctx["total"], 1)
        assert nums(r["label"], r["count"], r["share"]) in text
    assert [(r["name"], r["faults"]) for r in ctx["repeat"]] == [("cam-1", 3)]
    assert [(r["number"], r["n"]) for r in ctx["recurring"]] == [(Problem.objects.get().number, 3)]
    assert ctx["known"][0]["incidents"] == 3 and "Restart the PoE port" in text
    assert "Replace the PoE switch." in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_system_monitoring_report(data, language, tmp_path):
    ctx, text = render("system_monitoring", data["org"], "2026-Q4", language, tmp_path)
    months, total = ctx["months"], ctx["total"]
    assert [(m["label"], m["alerts"], m["received"], m["with_incident"]) for m in months] == [
        ("2026-10", 0, 0, 0), ("2026-11", 2, 13, 1), ("2026-12", 1, 2, 0)]
    assert (total["alerts"], total["received"], total["with_incident"], total["acked"], total["wait_minutes"]) == (
        3, 15, 1, 1, 7)
    assert total["incident_rate"] == round(100 * 1 / 3, 1) and total["mtta"] == 7.0
    assert total["ignored"] == 1
    assert nums(3, 15, 1, 33.3, 1, 1, 7, 7.0) in text
    assert ctx["sources"][0]["received"] == 15 and "Zabbix 主站" in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_performance_optimisation_report(data, language, tmp_path, api_as):
    ctx, text = render("performance_optimisation", data["org"], "2026-Q4", language, tmp_path)
    total = ctx["total"]
    assert total["faults"] == 5
    assert total["faults"] == sum(m["faults"] for m in ctx["months"]) == sum(x["faults"] for x in ctx["level_totals"])
    assert total["restore_minutes"] == sum(m["restore_minutes"] for m in ctx["months"]) == 150 + 120 + 47 + 360
    for row in [*ctx["months"], *ctx["level_totals"], total]:
        assert row["faults"] == sum(x["faults"] for x in row.get("levels", [row]))
        if row["restored"]:
            assert row["restore_avg"] == round(row["restore_minutes"] / row["restored"], 1)
    assert nums(total["faults"], total["responded"], total["response_minutes"], total["response_avg"],
                total["restored"], total["restore_minutes"], total["restore_avg"]) in text
    api = api_as(data["boss"]).get("/api/v1/incidents/", {"organization": data["org"].pk, "page_size": 200}).json()
    assert len(api["results"]) == total["faults"]
    assert ctx["slow_causes"] and ctx["slow_classes"][0]["restore_avg"] >= ctx["slow_classes"][-1]["restore_avg"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_contact_card_is_one_page(data, language, tmp_path):
    ctx, text = render("contact_card", data["org"], "2027-01-05", language, tmp_path)
    card = ctx["cards"][0]
    assert card["hotline"] == "400-800-1234" and "400-800-1234" in text
    assert [(e["level"], e["who"]) for e in card["escalation"]][1] == (2, "Boss Wang")
    assert "13900000001" in text and "Tech Li" in text and "North" in text
    p = period_parse("2027-01-05")
    k = kind_get("contact_card")
    with translation.override(language):
        from reports.pdf import render_pdf_pages

        _pdf, pages = render_pdf_pages(template=k.template, context=ctx, language=language)
    assert pages == 1
    assert p.text
