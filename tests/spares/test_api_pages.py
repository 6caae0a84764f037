"""API (spare-parts/ with quantity and reorder_level, movements, approvals, loans, replacements),
tenancy (customers see their own storerooms' parts and stock only; 404 elsewhere) and staff pages."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from spares.choices import MovementKind
from spares.models import ApprovalRule
from spares.selectors import reorder_list
from spares.services import movement_request

from .conftest import held

pytestmark = pytest.mark.django_db


def test_parts_list_has_quantity_and_reorder_level(api_as, manager, part, central, site_a, receive):
    receive(part, central, 1)
    receive(part, site_a, 1)
    body = api_as(manager).get("/api/v1/spare-parts/").json()
    [row] = body["results"]
    assert (row["quantity"], row["reorder_level"], row["below_reorder"]) == (2, 2, True)
    assert api_as(manager).get("/api/v1/spare-parts/?below_reorder=false").json()["results"] == []


def test_post_movement_and_approve(api_as, manager, supervisor, part, central, receive, make_incident, org_a):
    receive(part, central, 4)
    inc = make_incident(organization=org_a)
    client = api_as(manager)
    url = f"/api/v1/spare-parts/{part.pk}/movements/"
    r = client.post(url, {"kind": "issue", "quantity": 9, "from_storeroom": central.pk, "incident": inc.pk})
    assert r.status_code == 400 and "quantity" in r.json()
    r = client.post(url, {"kind": "issue", "quantity": 1, "from_storeroom": central.pk, "incident": inc.pk})
    assert r.status_code == 201 and r.json()["status"] == "done"
    ApprovalRule.objects.create(kind=MovementKind.WRITE_OFF)
    r = client.post(url, {"kind": "write_off", "quantity": 1, "from_storeroom": central.pk, "note": "dead"})
    assert r.json()["status"] == "pending"
    pending = r.json()["id"]
    assert [m["id"] for m in client.get("/api/v1/spare-movements/?status=pending").json()["results"]] == [pending]
    assert client.post(f"/api/v1/spare-movements/{pending}/approve/", {}).status_code == 400  # own request
    r = api_as(supervisor).post(f"/api/v1/spare-movements/{pending}/approve/", {})
    assert r.status_code == 200 and r.json()["status"] == "approved"
    assert held(part, central) == 2
    assert len(client.get(url).json()["results"]) == 3


def test_customer_sees_own_storerooms_only(api_as, customer_a, customer_b, part, make_part, central, site_a, site_b,
                                           receive, keeper, now):
    receive(part, central, 5)
    receive(part, site_a, 2)
    other = make_part("CAM-9", name="Camera B only")
    receive(other, site_b, 1)
    client = api_as(customer_a)
    rows = client.get("/api/v1/spare-parts/").json()["results"]
    assert [(r["part_number"], r["quantity"]) for r in rows] == [("PSU-600", 2)]
    assert client.get(f"/api/v1/spare-parts/{other.pk}/").status_code == 404
    assert client.get(f"/api/v1/storerooms/{site_b.pk}/").status_code == 404
    assert client.get(f"/api/v1/storerooms/{central.pk}/").status_code == 404
    assert [s["storeroom"] for s in client.get("/api/v1/stock/").json()["results"]] == [site_a.pk]
    movement_request(part_id=part.pk, kind=MovementKind.TRANSFER, quantity=1, actor=keeper, now=now,
                     from_storeroom=central, to_storeroom=site_a)
    # the receive into site A is theirs; the transfer from the provider's store is not wholly theirs
    assert len(client.get(f"/api/v1/spare-parts/{part.pk}/movements/").json()["results"]) == 1
    r = client.post(f"/api/v1/spare-parts/{part.pk}/movements/", {"kind": "receive", "quantity": 1,
                                                                   "to_storeroom": site_a.pk})
    assert r.status_code == 403
    assert client.get("/api/v1/replacements/").status_code == 404


def test_lend_via_api_and_return_via_loans_endpoint(api_as, manager, part, central, receive, make_incident, org_a):
    receive(part, central, 1)
    inc = make_incident(organization=org_a)
    client = api_as(manager)
    r = client.post("/api/v1/spare-loans/", {"incident": inc.pk, "part": part.pk, "storeroom": central.pk})
    assert r.status_code == 201 and r.json()["store_part"] == part.pk
    assert held(part, central) == 0
    assert client.post(f"/api/v1/loans/{r.json()['id']}/return/").status_code == 200
    assert held(part, central) == 1


def test_reorder_list_is_one_query(manager, part, make_part, central, site_a, receive):
    receive(part, central, 1)
    receive(part, site_a, 2)  # 3 > level 2: not listed
    low = make_part("HDD-8T", reorder_level=6)
    receive(low, central, 4)
    make_part("NEVER", reorder_level=0)
    with CaptureQueriesContext(connection) as ctx:
        rows = [(p.part_number, p.quantity, p.shortfall) for p in reorder_list(user=manager)]
    assert rows == [("HDD-8T", 4, 2)]
    assert len(ctx.captured_queries) == 1


def test_staff_pages_render_and_customers_get_404(client, manager, customer_a, part, central, receive, make_incident,
                                                  org_a, ci_a):
    receive(part, central, 3)
    inc = make_incident(organization=org_a, ci=ci_a)
    client.force_login(manager)
    urls = [reverse("spares:parts"), reverse("spares:part", args=[part.pk]),
            reverse("spares:movement_add", args=[part.pk, "issue"]), reverse("spares:approvals"),
            reverse("spares:reorder"), reverse("spares:loans"), reverse("spares:replacements"),
            reverse("spares:ci_panel", args=[ci_a.pk]), reverse("spares:incident_panel", args=[inc.pk])]
    for url in urls:
        assert client.get(url).status_code == 200, url
    r = client.post(reverse("spares:movement_add", args=[part.pk, "issue"]),
                    {"quantity": 2, "from_storeroom": central.pk, "incident": inc.number.lower()})
    assert r.status_code == 302 and held(part, central) == 1
    r = client.post(reverse("spares:movement_add", args=[part.pk, "issue"]),
                    {"quantity": 5, "from_storeroom": central.pk, "incident": inc.number})
    assert r.status_code == 400 and "Only 1 in stock" in r.content.decode()
    assert "Switch PSU 600W" in client.get(reverse("spares:incident_panel", args=[inc.pk])).content.decode()
    client.force_login(customer_a)
    for url in urls:
        assert client.get(url).status_code == 404, url


def test_part_form_creates_and_edits_with_a_version_check(client, manager, customer_a):
    client.force_login(manager)
    data = {"part_number": "UPS-BAT-1", "name": "UPS battery", "unit": "pcs", "reorder_level": 4, "is_active": "on"}
    r = client.post(reverse("spares:part_new"), data)
    assert r.status_code == 302
    from spares.models import SparePart

    part = SparePart.objects.get(part_number="UPS-BAT-1")
    assert (part.reorder_level, part.version) == (4, 1)
    assert client.post(reverse("spares:part_new"), data).status_code == 400  # part number taken
    r = client.post(reverse("spares:part_edit", args=[part.pk]), {**data, "reorder_level": 8, "version": 1})
    assert r.status_code == 302
    r = client.post(reverse("spares:part_edit", args=[part.pk]), {**data, "reorder_level": 9, "version": 1})
    assert r.status_code == 409 and 'value="9"' in r.content.decode()  # what was typed is kept
    part.refresh_from_db()
    assert (part.reorder_level, part.version) == (8, 2)
    client.force_login(customer_a)
    assert client.get(reverse("spares:part_edit", args=[part.pk])).status_code == 404
