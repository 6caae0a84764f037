"""Issue #15 gaps: the REST API for leave (own list / create / withdraw; decide the kernel's
approval step as the company lead, then the customer), duty (who is on duty now, the roster's
entries, creating an override) and KPI scorecards (own vs all; adjust with a reason; publish) —
access checks and tenancy included."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from rest_framework.test import APIClient

from duty.choices import RuleKind
from duty.models import DutyRule
from team.kpi import scorecards_propose
from team.models import LeaveRequest, Scorecard
from tests.factories import CustomerFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_leave_create_list_decide_and_withdraw(crew, org_a, org_b, now):
    eng, lead, customer = crew["eng"], crew["lead"], crew["customer"]
    start = now + timedelta(days=10)
    body = {"organization": org_a.pk, "starts_at": start.isoformat(), "ends_at": (start + timedelta(days=2)).isoformat(),
            "stand_in": crew["mate"].pk, "reason": "family"}
    bad = api(eng).post("/api/v1/leave/", {**body, "ends_at": start.isoformat()}, format="json")
    assert bad.status_code == 400 and "ends_at" in str(bad.json())
    created = api(eng).post("/api/v1/leave/", body, format="json")
    assert created.status_code == 201, created.content
    leave = created.json()
    assert leave["status"] == "company_approval" and leave["pending_approval"]
    # list own
    mine = api(eng).get("/api/v1/leave/?mine=true").json()["results"]
    assert [row["id"] for row in mine] == [leave["id"]]
    assert api(crew["mate"]).get("/api/v1/leave/?mine=true").json()["results"] == []
    # the customer may not decide the company's step; the lead may
    assert api(customer).post(f"/api/v1/leave/{leave['id']}/decide/", {"decision": "approve"},
                              format="json").status_code == 400
    step2 = api(lead).post(f"/api/v1/leave/{leave['id']}/decide/", {"decision": "approve"}, format="json")
    assert step2.status_code == 200 and step2.json()["status"] == "customer_approval"
    # another organisation's customer: 404
    other = CustomerFactory(username="other_cust", organization=org_b)
    assert api(other).get(f"/api/v1/leave/{leave['id']}/").status_code == 404
    assert api(other).post(f"/api/v1/leave/{leave['id']}/decide/", {"decision": "approve"},
                           format="json").status_code == 404
    done = api(customer).post(f"/api/v1/leave/{leave['id']}/decide/", {"decision": "approve"}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "approved"
    # withdraw: only before approval; a fresh one can be withdrawn (with a reason, version checked)
    second = api(eng).post("/api/v1/leave/", {**body, "submit": False}, format="json").json()
    assert second["status"] == "draft"
    assert api(eng).post(f"/api/v1/leave/{second['id']}/withdraw/", {}, format="json").status_code == 400
    stale = api(eng).post(f"/api/v1/leave/{second['id']}/withdraw/", {"reason": "plans changed", "version": 99},
                          format="json")
    assert stale.status_code == 409
    gone = api(eng).post(f"/api/v1/leave/{second['id']}/withdraw/", {"reason": "plans changed"}, format="json")
    assert gone.status_code == 200 and gone.json()["status"] == "cancelled"
    assert api(crew["mate"]).post(f"/api/v1/leave/{leave['id']}/withdraw/", {"reason": "x"},
                                  format="json").status_code in (400, 403)
    assert LeaveRequest.objects.count() == 2


def test_duty_now_rules_and_override(crew, org_a, now):
    manager, eng, mate = crew["manager"], crew["eng"], crew["mate"]
    start, end = now - timedelta(hours=1), now + timedelta(hours=3)
    made = api(manager).post("/api/v1/duty/rules/", {
        "group": crew["group"].pk, "kind": "special", "people": [eng.pk], "starts_at": start.isoformat(),
        "ends_at": end.isoformat(), "organization": org_a.pk, "reason": "annual meeting"}, format="json")
    assert made.status_code == 201, made.content
    on = api(crew["dispatcher"]).get(f"/api/v1/duty/now/?group={crew['group'].pk}").json()
    assert [(row["user"], row["kind"]) for row in on] == [(eng.pk, RuleKind.SPECIAL)]
    assert api(crew["dispatcher"]).get("/api/v1/duty/now/?at=yesterday").status_code == 400
    # an engineer cannot write the roster; a customer sees its own special support only, no "now"
    assert api(mate).post("/api/v1/duty/rules/", {
        "group": crew["group"].pk, "kind": "override", "people": [mate.pk], "starts_at": start.isoformat(),
        "ends_at": end.isoformat()}, format="json").status_code == 403
    assert api(mate).post("/api/v1/duty/rules/", {"kind": "nonsense"}, format="json").status_code == 403  # before the body
    customer = crew["customer"]
    assert [r["id"] for r in api(customer).get("/api/v1/duty/rules/").json()["results"]] == [made.json()["id"]]
    assert api(customer).get("/api/v1/duty/now/").status_code == 404
    other = CustomerFactory(username="duty_other", organization=OrganizationFactory(code="duty-b"))
    assert api(other).get("/api/v1/duty/rules/").json()["results"] == []
    assert api(other).get(f"/api/v1/duty/rules/{made.json()['id']}/").status_code == 404
    assert DutyRule.objects.filter(kind=RuleKind.SPECIAL).count() == 1
    filtered = api(manager).get("/api/v1/duty/rules/?kind=override").json()["results"]
    assert filtered == []


def test_scorecards_own_vs_all_adjust_and_publish(crew, now):
    manager, eng, mate = crew["manager"], crew["eng"], crew["mate"]
    month = date(now.year, now.month, 1)
    cards = {c.user_id: c for c in scorecards_propose(actor=manager, month=month, now=now)}
    card = cards[eng.pk]
    assert len(api(manager).get("/api/v1/kpi/scorecards/").json()["results"]) == len(cards)
    assert api(eng).get("/api/v1/kpi/scorecards/").json()["results"] == []  # proposed: not yet the engineer's
    assert api(eng).post(f"/api/v1/kpi/scorecards/{card.pk}/adjust/", {
        "dimension": "workload", "score": 5, "reason": "x"}, format="json").status_code == 404
    no_reason = api(manager).post(f"/api/v1/kpi/scorecards/{card.pk}/adjust/", {
        "dimension": "workload", "score": 5, "reason": ""}, format="json")
    assert no_reason.status_code == 400
    out_of_scale = api(manager).post(f"/api/v1/kpi/scorecards/{card.pk}/adjust/", {
        "dimension": "workload", "score": 9, "reason": "typo"}, format="json")
    assert out_of_scale.status_code == 400
    adjusted = api(manager).post(f"/api/v1/kpi/scorecards/{card.pk}/adjust/", {
        "dimension": "workload", "score": 5, "reason": "covered two sites", "version": card.version}, format="json")
    assert adjusted.status_code == 200, adjusted.content
    assert adjusted.json()["scores"]["workload"] == 5 and adjusted.json()["adjustments"][0]["reason"] == "covered two sites"
    assert api(eng).post("/api/v1/kpi/scorecards/publish/", {"month": month.isoformat()},
                         format="json").status_code == 403
    published = api(manager).post("/api/v1/kpi/scorecards/publish/", {"month": month.isoformat()}, format="json")
    assert published.json() == {"published": len(cards)}
    own = api(eng).get("/api/v1/kpi/scorecards/").json()["results"]
    assert [row["user"] for row in own] == [eng.pk]
    assert api(mate).get(f"/api/v1/kpi/scorecards/{card.pk}/").status_code == 404
    assert api(crew["customer"]).get("/api/v1/kpi/scorecards/").json()["results"] == []
    assert Scorecard.objects.get(pk=card.pk).status == "published"


def test_kpi_trend_is_a_server_side_svg(crew, now, client):
    from decimal import Decimal

    from team.charts import trend_svg

    manager, eng = crew["manager"], crew["eng"]
    for back in (2, 1, 0):
        first = date(now.year, now.month, 1)
        month = date(first.year - (first.month - 1 - back < 0), (first.month - 1 - back) % 12 + 1, 1)
        scorecards_propose(actor=manager, month=month, now=now)
        Scorecard.objects.filter(month=month).update(status="published", total=Decimal(3 + back))
    client.force_login(eng)
    page = client.get("/team/kpi/mine/")
    html = page.content.decode()
    assert page.status_code == 200 and "<svg" in html and "<script" not in html.split("<svg")[1].split("</svg>")[0]
    points = html.split('<polyline points="')[1].split('"')[0].split()
    assert len(points) == 3
    ys = [float(p.split(",")[1]) for p in points]
    assert ys[0] < ys[1] < ys[2]  # 5, 4, 3 oldest to newest: the line goes down (SVG y grows downwards)
    # hostile text cannot break out: labels are escaped numbers and dates only
    svg = trend_svg([(date(2026, 1, 1), Decimal("9"))], low=1, high=6)
    assert 'cy="14.0"' in svg  # clamped to the top of the scale
    assert trend_svg([], low=1, high=6) == ""
