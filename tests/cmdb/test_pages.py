"""CMDB staff pages: list and filters, detail with relationships/impact/history/panels, create and
edit with class attribute fields, relationships, import with dry run and confirm, warranty list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cmdb.models import CI, CIRelation

pytestmark = pytest.mark.django_db


def test_list_filters_and_export(client_as, operator, make_ci, org_a, org_b):
    make_ci("alpha-sw", org=org_a)
    make_ci("bravo-srv", org=org_b, cls="server")
    client = client_as(operator)
    page = client.get("/cmdb/?ci_class=srv").content.decode()
    assert "bravo-srv" in page and "alpha-sw" not in page
    page = client.get(f"/cmdb/?organization={org_a.pk}").content.decode()
    assert "alpha-sw" in page and "bravo-srv" not in page
    assert client.get("/cmdb/?organization=abc").status_code == 200  # a message, not a 500
    response = client.get(f"/cmdb/export/?organization={org_a.pk}&file=csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "alpha-sw" in body and "bravo-srv" not in body
    assert client.get("/cmdb/export/?file=xlsx").status_code == 200


def test_create_and_edit_with_attribute_fields(client_as, operator, org_a, classes):
    client = client_as(operator)
    assert "Server" in client.get("/cmdb/new/").content.decode()
    page = client.get("/cmdb/new/?ci_class=srv").content.decode()
    assert 'name="attr_ram_gb"' in page and 'name="attr_role"' in page
    data = {"ci_class": "srv", "name": "web-9", "organization": org_a.pk, "status": "in_use", "attr_ram_gb": "lots"}
    response = client.post("/cmdb/new/", data)
    assert response.status_code == 400 and "Enter a whole number." in response.content.decode()
    response = client.post("/cmdb/new/", {**data, "attr_ram_gb": "32", "site": "HQ", "rack": "R1"})
    ci = CI.objects.get(name="web-9")
    assert response.status_code == 302 and ci.attributes == {"ram_gb": 32} and ci.location == "HQ / R1"
    edit = {"name": "web-9", "status": "standby", "attr_ram_gb": "64", "version": 1}
    assert client.post(f"/cmdb/{ci.pk}/edit/", edit).status_code == 302
    response = client.post(f"/cmdb/{ci.pk}/edit/", {**edit, "status": "under_repair"})  # stale version 1
    assert response.status_code == 400 and "changed by someone else" in response.content.decode()
    ci.refresh_from_db()
    assert (ci.status, ci.attributes["ram_gb"], ci.version) == ("standby", 64, 2)
    detail = client.get(f"/cmdb/{ci.pk}/").content.decode()
    assert "standby" in detail.lower() and "RAM" in detail and "History" in detail


def test_relationships_on_the_page_and_impact_panel(client_as, operator, make_ci, org_a, settings):
    settings.CI_PANELS = ["cmdb:impact_panel"]
    app, vm = make_ci("app-1", org=org_a, cls="app"), make_ci("vm-1", org=org_a, cls="server")
    client = client_as(operator)
    response = client.post(f"/cmdb/{vm.pk}/relations/", {"relation": "in:runs_on", "other": app.pk})
    assert response.status_code == 302
    relation = CIRelation.objects.get(source=app, target=vm, type="runs_on")
    page = client.get(f"/cmdb/{vm.pk}/").content.decode()
    assert "runs" in page and "app-1" in page and f"/cmdb/{vm.pk}/impact/" in page
    panel = client.get(f"/cmdb/{vm.pk}/impact/").content.decode()
    assert "app-1" in panel
    assert "app-1" in client.get(f"/cmdb/hotline-impact/?ci={vm.pk}").content.decode()
    assert client.get("/cmdb/hotline-impact/?ci=").content == b""
    assert client.post(f"/cmdb/{vm.pk}/relations/", {"relation": "in:runs_on", "other": app.pk}).status_code == 400
    assert client.post(f"/cmdb/{vm.pk}/relations/{relation.pk}/retire/").status_code == 302
    relation.refresh_from_db()
    assert not relation.active


def test_import_page_dry_run_then_confirm(client_as, operator, org_a, classes):
    client = client_as(operator)
    content = b"organization,ci_class,name,serial\norg-a,sw,edge-1,E1\n"
    page = client.post("/cmdb/import/", {"file": SimpleUploadedFile("cis.csv", content)}).content.decode()
    assert "Dry run" in page and not CI.objects.exists()
    token = page.split('name="token" value="')[1].split('"')[0]
    assert client.post("/cmdb/import/", {"token": token}).status_code == 302
    assert CI.objects.filter(serial="E1").exists()
    assert client.post("/cmdb/import/", {"token": token}).status_code == 302  # used up: a message, no re-run
    assert client.post("/cmdb/import/", {"token": "../../etc/passwd.csv"}).status_code == 302
    bad = client.post("/cmdb/import/", {"file": SimpleUploadedFile("bad.csv", b"organization,name\n")})
    assert "This column is required." in bad.content.decode()
    assert client.get("/cmdb/import/sample.csv").status_code == 200


def test_warranty_list(client_as, operator, make_ci, org_a):
    today = timezone.localdate()
    make_ci("old-ups", org=org_a, warranty_end=today - timedelta(days=3))
    make_ci("soon-sw", org=org_a, warranty_end=today + timedelta(days=20))
    make_ci("later-sw", org=org_a, warranty_end=today + timedelta(days=400))
    make_ci("gone-sw", org=org_a, warranty_end=today - timedelta(days=3), status="retired")
    page = client_as(operator).get("/cmdb/warranty/?days=30").content.decode()
    assert "old-ups" in page and "soon-sw" in page and "later-sw" not in page and "gone-sw" not in page
    assert page.index("old-ups") < page.index("soon-sw")


def test_customers_get_404_on_staff_pages(client_as, customer_a, make_ci, org_a):
    ci = make_ci("a-sw", org=org_a)
    client = client_as(customer_a)
    for path in ("/cmdb/", f"/cmdb/{ci.pk}/", "/cmdb/import/", "/cmdb/warranty/", f"/cmdb/{ci.pk}/impact/"):
        assert client.get(path).status_code == 404, path


def test_incident_page_loads_the_impact_panel(client_as, operator, make_ci, make_incident, org_a, now):
    ci = make_ci("a-sw", org=org_a)
    incident = make_incident(organization=org_a, ci=ci)
    page = client_as(operator).get(f"/incidents/{incident.pk}/").content.decode()
    assert f"/cmdb/{ci.pk}/impact/" in page


def test_admin_edits_configuration_and_only_reads_cis(client_as, make_ci, org_a):
    from tests.factories import UserFactory

    admin_user = UserFactory(username="root", is_superuser=True, is_staff=True)
    ci = make_ci("a-sw", org=org_a)
    client = client_as(admin_user)
    for path in ("/admin/cmdb/ci/", f"/admin/cmdb/ci/{ci.pk}/change/", "/admin/cmdb/ciclass/add/",
                 "/admin/cmdb/cirelation/", "/admin/cmdb/cichange/", "/admin/cmdb/maintenancecontract/add/"):
        assert client.get(path).status_code == 200, path
    assert client.get("/admin/cmdb/ci/add/").status_code == 403
    response = client.post("/admin/cmdb/ciclass/add/", {"code": "ups2", "name": "UPS", "attributes": '[{"name": "Bad"}]'})
    assert response.status_code == 200 and "lower-case letters" in response.content.decode()
