"""CMDB API: reads scoped by tenancy, staff writes with versions, relations, impact, history, import."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cmdb.models import CI, CIChange, CIRelation
from cmdb.services import relation_create
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(make_ci, org_a, operator, now):
    app = make_ci("app-1", org=org_a, cls="app")
    host = make_ci("host-1", org=org_a, cls="server", serial="SN-H1")
    relation_create(source=app, target=host, type="runs_on", actor=operator, now=now)
    return app, host


def test_create_update_conflict_and_history(api_as, operator, org_a, classes):
    api = api_as(operator)
    response = api.post("/api/v1/cis/", {"name": "db-7", "ci_class": "srv", "organization": org_a.pk, "site": "HQ",
                                         "room": "101", "attributes": {"ram_gb": "x"}}, format="json")
    assert response.status_code == 400 and "attributes.ram_gb" in response.json()
    response = api.post("/api/v1/cis/", {"name": "db-7", "ci_class": "srv", "organization": org_a.pk, "site": "HQ",
                                         "room": "101", "attributes": {"ram_gb": 64}}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["location"] == "HQ / 101" and body["version"] == 1 and body["attributes"] == {"ram_gb": 64}
    ci_id = body["id"]
    response = api.patch(f"/api/v1/cis/{ci_id}/", {"status": "under_repair", "version": 1}, format="json")
    assert response.status_code == 200 and response.json()["version"] == 2
    response = api.patch(f"/api/v1/cis/{ci_id}/", {"status": "standby", "version": 1}, format="json")
    assert response.status_code == 409
    assert CI.objects.get(pk=ci_id).status == "under_repair"
    history = api.get(f"/api/v1/cis/{ci_id}/history/").json()["results"]
    assert [(h["field"], h["old"], h["new"]) for h in history][0] == ("status", "in_use", "under_repair")
    assert history[0]["actor"] == operator.pk and history[0]["source"] == "api"
    assert api.delete(f"/api/v1/cis/{ci_id}/").status_code == 405  # no hard deletes


def test_asset_tag_unique_per_organisation(api_as, operator, org_a, org_b, classes):
    api = api_as(operator)
    for org, expected in ((org_a, 201), (org_a, 400), (org_b, 201)):
        response = api.post("/api/v1/cis/", {"name": "sw", "ci_class": "sw", "organization": org.pk,
                                             "asset_tag": "TAG-1"}, format="json")
        assert response.status_code == expected, response.json()


def test_relations_impact_and_relation_view(api_as, operator, pair):
    app, host = pair
    api = api_as(operator)
    impact = api.get(f"/api/v1/cis/{host.pk}/impact/").json()
    assert impact["count"] == 1 and impact["results"][0]["name"] == "app-1" and impact["results"][0]["depth"] == 1
    deps = api.get(f"/api/v1/cis/{app.pk}/impact/?direction=dependencies").json()
    assert [r["name"] for r in deps["results"]] == ["host-1"]
    assert api.get(f"/api/v1/cis/{host.pk}/impact/?direction=up").status_code == 400
    view = api.get(f"/api/v1/cis/{host.pk}/relations/").json()
    assert view["incoming"][0]["label"] == "runs" and view["incoming"][0]["name"] == "app-1"
    response = api.post("/api/v1/ci-relations/", {"source": host.pk, "type": "depends_on", "target": app.pk},
                        format="json")
    assert response.status_code == 201 and response.json()["inverse_label"] == "used by"
    relation_id = response.json()["id"]
    assert api.post("/api/v1/ci-relations/", {"source": host.pk, "type": "depends_on", "target": app.pk},
                    format="json").status_code == 400  # exists already
    assert api.post(f"/api/v1/ci-relations/{relation_id}/retire/").json()["active"] is False
    assert api.get(f"/api/v1/ci-relations/?ci={host.pk}&active=true").json()["results"][0]["type"] == "runs_on"


def test_customer_reads_own_cis_only_and_cannot_write(api_as, pair, make_ci, org_a, org_b, operator, now):
    app, host = pair
    foreign = make_ci("b-switch", org=org_b)
    relation_create(source=foreign, target=host, type="connects_to", actor=operator, now=now)
    cust_b = CustomerFactory(organization=org_b)
    api = api_as(cust_b)
    assert [c["name"] for c in api.get("/api/v1/cis/").json()["results"]] == ["b-switch"]
    for path in (f"/api/v1/cis/{host.pk}/", f"/api/v1/cis/{host.pk}/impact/", f"/api/v1/cis/{host.pk}/history/",
                 f"/api/v1/cis/{host.pk}/relations/",
                 f"/api/v1/ci-relations/{CIRelation.objects.get(source=foreign).pk}/"):
        assert api.get(path).status_code == 404, path
    assert api.get(f"/api/v1/cis/{foreign.pk}/impact/?direction=dependencies").json()["count"] == 0  # host is A's
    assert api.patch(f"/api/v1/cis/{foreign.pk}/", {"name": "x"}, format="json").status_code == 403
    assert api.post("/api/v1/cis/", {"name": "x", "ci_class": "sw", "organization": org_b.pk},
                    format="json").status_code == 403
    cust_a = CustomerFactory(organization=org_a)
    assert {r["name"] for r in api_as(cust_a).get(f"/api/v1/cis/{host.pk}/impact/").json()["results"]} == {"app-1"}


def test_import_endpoint_dry_run_then_real(api_as, operator, customer_a, classes, org_a):
    content = b"organization,ci_class,name,serial\norg-a,sw,edge-1,E1\norg-a,sw,edge-2,E2\n"
    api = api_as(operator)
    response = api.post("/api/v1/cis/import/", {"file": SimpleUploadedFile("cis.csv", content)}, format="multipart")
    assert response.status_code == 200 and response.json()["created"] == 2 and not response.json()["written"]
    assert not CI.objects.filter(serial__in=["E1", "E2"]).exists()
    response = api.post("/api/v1/cis/import/", {"file": SimpleUploadedFile("cis.csv", content), "dry_run": "false"},
                        format="multipart")
    assert response.status_code == 200 and response.json()["written"]
    assert CIChange.objects.filter(source="import").count() == 2
    bad = b"organization,ci_class,name\norg-a,nope,x\n"
    response = api.post("/api/v1/cis/import/", {"file": SimpleUploadedFile("bad.csv", bad), "dry_run": "false"},
                        format="multipart")
    assert response.status_code == 400 and response.json()["errors"][0] == {"row": 2, "column": "ci_class",
                                                                           "message": "No CI class has this code."}
    assert api_as(customer_a).post("/api/v1/cis/import/", {"file": SimpleUploadedFile("cis.csv", content)},
                                   format="multipart").status_code == 403


def test_a_class_code_with_a_nul_character_is_400_not_500(api_as, operator, org_a, classes):
    # Found by the contract test: PostgreSQL refuses NUL in a query, so the lookup was a server error.
    response = api_as(operator).post("/api/v1/cis/", {"name": "x", "ci_class": "s\x00w", "organization": org_a.pk})
    assert response.status_code == 400 and "ci_class" in response.json()
