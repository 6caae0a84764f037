"""Asset life: design life (6 years, else the class's, else the CI's own), end of life and of support
computed or set, the "end of life within N months" list (page and API filter, the same rule in SQL
and Python), discontinued models with their approved substitutes."""

from __future__ import annotations

from datetime import date

import pytest

from cmdb.choices import CIStatus
from cmdb.life import add_months
from cmdb.models import CI, DeviceModel
from cmdb.selectors import ci_eol_list
from tests.factories import CIClassFactory, CIFactory

pytestmark = pytest.mark.django_db
TODAY = date(2026, 12, 6)


@pytest.fixture
def fleet(org_a, org_b):
    cameras = CIClassFactory(code="camera-life", name="Camera", design_life_years=5)
    servers = CIClassFactory(code="server-life", name="Server")
    return {
        # class life 5 years: 2021-03-01 → 2026-03-01 (past)
        "old_cam": CIFactory(name="CAM-OLD", ci_class=cameras, organization=org_a, purchase_date=date(2021, 3, 1),
                             vendor="Hikvision", model="DS-2CD2T45"),
        # default 6 years from the in-service date (not the purchase date): 2021-02-28 → 2027-02-28 (within 3 months)
        "srv": CIFactory(name="SRV-1", ci_class=servers, organization=org_a, purchase_date=date(2019, 1, 1),
                         in_service_date=date(2021, 2, 28)),
        # own design life 8 years: 2020-01-01 → 2028-01-01 (within 13 months only)
        "long": CIFactory(name="SRV-LONG", ci_class=servers, organization=org_a, purchase_date=date(2020, 1, 1),
                          design_life_years=8),
        # end of life set by hand overrides everything
        "set": CIFactory(name="SW-SET", ci_class=servers, organization=org_a, purchase_date=date(2025, 1, 1),
                         end_of_life=date(2027, 1, 15)),
        "retired": CIFactory(name="RETIRED", ci_class=servers, organization=org_a, purchase_date=date(2010, 1, 1),
                             status=CIStatus.RETIRED),
        "no_date": CIFactory(name="NO-DATE", ci_class=servers, organization=org_a),
        "b": CIFactory(name="B-CAM", ci_class=cameras, organization=org_b, purchase_date=date(2020, 1, 1)),
    }


def test_life_end_in_python_and_sql_agree(fleet, manager):
    ends = {ci.name: ci.life_end_on for ci in ci_eol_list(user=manager, today=TODAY, months=600)}
    for ci in CI.objects.exclude(status=CIStatus.RETIRED).select_related("ci_class"):
        assert ends.get(ci.name) == ci.life_end, ci.name
    assert fleet["old_cam"].life_end == date(2026, 3, 1)
    assert fleet["srv"].life_end == date(2027, 2, 28) and fleet["srv"].life_years == 6
    assert fleet["long"].life_end == date(2028, 1, 1)
    assert fleet["set"].life_end == date(2027, 1, 15) and fleet["set"].support_end == date(2027, 1, 15)
    assert fleet["no_date"].life_end is None


def test_eol_within_months_list(fleet, manager, customer_a):
    names = [ci.name for ci in ci_eol_list(user=manager, today=TODAY, months=3)]
    assert names == ["B-CAM", "CAM-OLD", "SW-SET", "SRV-1"]  # soonest first; retired and undated left out
    org_a = fleet["old_cam"].organization_id
    assert [ci.name for ci in ci_eol_list(user=manager, today=TODAY, months=3, organization_id=org_a)] == [
        "CAM-OLD", "SW-SET", "SRV-1"]
    assert [ci.name for ci in ci_eol_list(user=customer_a, today=TODAY, months=3)] == ["CAM-OLD", "SW-SET", "SRV-1"]
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)


def test_api_filter_and_page(fleet, api_as, manager, client):
    body = api_as(manager).get("/api/v1/cis/?eol_within_months=600&ordering=name").json()
    assert {row["name"] for row in body["results"]} == {"CAM-OLD", "SRV-1", "SRV-LONG", "SW-SET", "RETIRED", "B-CAM"}
    row = next(r for r in body["results"] if r["name"] == "SRV-1")
    assert (row["life_end"], row["in_service_date"], row["design_life_years"]) == ("2027-02-28", "2021-02-28", None)
    assert api_as(manager).get("/api/v1/cis/?eol_within_months=x").status_code == 400
    DeviceModel.objects.create(vendor="HIKVISION", model="ds-2cd2t45", discontinued_on=date(2024, 6, 1)).substitutes.add(
        DeviceModel.objects.create(vendor="Hikvision", model="DS-2CD2T47"))
    client.force_login(manager)
    page = client.get("/cmdb/end-of-life/?months=1200")
    assert page.status_code == 200
    html = page.content.decode()
    assert "CAM-OLD" in html and "DS-2CD2T47" in html and "NO-DATE" not in html
    assert client.get("/cmdb/end-of-life/?months=-5").status_code == 200
    detail = client.get(f"/cmdb/{fleet['old_cam'].pk}/")
    assert "2026-03-01" in detail.content.decode() and "DS-2CD2T47" in detail.content.decode()


def test_life_fields_edited_with_validation(fleet, api_as, manager):
    ci = fleet["srv"]
    r = api_as(manager).patch(f"/api/v1/cis/{ci.pk}/", {"end_of_life": "2020-01-01"}, format="json")
    assert r.status_code == 400 and "end_of_life" in r.json()
    r = api_as(manager).patch(f"/api/v1/cis/{ci.pk}/", {"design_life_years": 10, "end_of_support": "2030-06-30"},
                              format="json")
    assert r.status_code == 200 and r.json()["life_end"] == "2031-02-28" and r.json()["support_end"] == "2030-06-30"
