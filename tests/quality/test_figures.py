"""Satisfaction figures per organisation, engineer and month, aggregated in SQL."""

from __future__ import annotations

import pytest
from django.urls import reverse

from quality.selectors import satisfaction_figures
from quality.services import callback_record, rating_submit
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rated(org_a, org_b, make_incident, now):
    eng1 = UserFactory(name="Eng One")
    eng2 = UserFactory(name="Eng Two")
    cust_a = CustomerFactory(organization=org_a)
    cust_b = CustomerFactory(organization=org_b)
    for org, cust, eng, stars in ((org_a, cust_a, eng1, 5), (org_a, cust_a, eng1, 1), (org_a, cust_a, eng2, 4),
                                  (org_b, cust_b, eng1, 3)):
        inc = make_incident(organization=org, status="closed", assignee=eng)
        rating_submit(user=cust, ticket_kind="incident", ticket_id=inc.pk, stars=stars, now=now)
    return eng1, eng2


def test_figures_group_by(supervisor, rated, django_assert_num_queries):
    eng1, eng2 = rated
    with django_assert_num_queries(1):
        rows = list(satisfaction_figures(user=supervisor))
    by_key = {(r["organization_name"], r["assignee_name"]): r for r in rows}
    assert by_key[("Org A", "Eng One")]["count"] == 2
    assert float(by_key[("Org A", "Eng One")]["average"]) == 3.0
    assert by_key[("Org A", "Eng One")]["unhappy"] == 1
    assert by_key[("Org B", "Eng One")]["count"] == 1
    per_org = {r["organization_name"]: r for r in satisfaction_figures(user=supervisor, group_by=("organization",))}
    assert per_org["Org A"]["count"] == 3 and set(per_org["Org A"]) == {
        "organization_id", "organization_name", "count", "average", "unhappy"}


def test_callback_figures(supervisor, org_a, make_incident, now):
    inc = make_incident(organization=org_a, status="closed", impact="high", urgency="high")
    callback_record(incident_id=inc.pk, actor=supervisor, outcome="reached", satisfaction=2, now=now)
    rows = list(satisfaction_figures(user=supervisor, source="callback", group_by=("organization",)))
    assert rows[0]["count"] == 1 and rows[0]["unhappy"] == 1


def test_figures_api_and_page(api_as, client, supervisor, customer_a, rated):
    data = api_as(supervisor).get("/api/v1/quality/figures/?group_by=assignee").json()
    assert {r["assignee_name"]: r["count"] for r in data["results"]} == {"Eng One": 3, "Eng Two": 1}
    assert api_as(supervisor).get("/api/v1/quality/figures/?group_by=colour").status_code == 400
    assert api_as(supervisor).get("/api/v1/quality/figures/?source=x").status_code == 400
    assert api_as(customer_a).get("/api/v1/quality/figures/").status_code == 404
    ratings = api_as(customer_a).get("/api/v1/quality/ratings/").json()["results"]
    assert {r["organization"] for r in ratings} == {customer_a.organization_id}
    client.force_login(supervisor)
    page = client.get(reverse("quality:figures") + "?group_by=organization&group_by=month")
    assert page.status_code == 200 and "Org A" in page.content.decode()
