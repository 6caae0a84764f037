"""Everything of another organisation is 404 for a customer: every detail and sub-route, every method."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tickets.models import ServiceRequest
from tickets.services import request_create, ticket_attachment_add, ticket_comment_add

pytestmark = pytest.mark.django_db


@pytest.fixture
def b_objects(make_incident, org_b, operator, ci_b, now):
    from tests.factories import ContactFactory, CustomerFactory

    inc = make_incident(organization=org_b, status="resolved")
    req = request_create(actor=operator, organization=org_b, title="r", request_type="consultation", now=now)
    att = ticket_attachment_add(ticket=inc, author=operator, upload=SimpleUploadedFile("p.txt", b"x"), public=True,
                                now=now)
    req_att = ticket_attachment_add(ticket=req, author=operator, upload=SimpleUploadedFile("p.txt", b"x"),
                                    public=True, now=now)
    ticket_comment_add(ticket=inc, author=operator, body="public", public=True, now=now)
    return {"inc": inc, "req": req, "att": att, "req_att": req_att, "ci": ci_b,
            "contact": ContactFactory(organization=org_b), "user": CustomerFactory(organization=org_b),
            "org": org_b}


def test_other_orgs_objects_are_404_everywhere(api_as, customer_a, b_objects):
    o = b_objects
    client = api_as(customer_a)
    gets = [
        f"/api/v1/incidents/{o['inc'].pk}/", f"/api/v1/requests/{o['req'].pk}/",
        f"/api/v1/cis/{o['ci'].pk}/", f"/api/v1/contacts/{o['contact'].pk}/",
        f"/api/v1/users/{o['user'].pk}/", f"/api/v1/organizations/{o['org'].pk}/",
        f"/api/v1/incidents/{o['inc'].pk}/attachments/{o['att'].pk}/download/",
        f"/api/v1/requests/{o['req'].pk}/attachments/{o['req_att'].pk}/download/",
        f"/api/v1/audit/verify/?kind=incident&id={o['inc'].pk}",
        f"/api/v1/audit/verify/?kind=request&id={o['req'].pk}",
    ]
    for kind, obj in (("incidents", o["inc"]), ("requests", o["req"])):
        gets += [f"/api/v1/{kind}/{obj.pk}/{sub}/" for sub in ("comments", "worklogs", "attachments", "events")]
    failures = [(u, r.status_code) for u in gets if (r := client.get(u)).status_code != 404]
    posts = [
        (f"/api/v1/incidents/{o['inc'].pk}/transition/", {"action": "observe"}),
        (f"/api/v1/requests/{o['req'].pk}/transition/", {"action": "cancel", "reason": "x"}),
    ]
    for kind, obj in (("incidents", o["inc"]), ("requests", o["req"])):
        posts += [(f"/api/v1/{kind}/{obj.pk}/comments/", {"body": "hi"}),
                  (f"/api/v1/{kind}/{obj.pk}/worklogs/", {"minutes": 5, "note": "x"}),
                  (f"/api/v1/{kind}/{obj.pk}/attachments/", {"file": SimpleUploadedFile("a.txt", b"a")})]
    for url, data in posts:
        res = client.post(url, data, format="multipart" if "attachments" in url else "json")
        if res.status_code != 404:
            failures.append((url, res.status_code))
    res = client.patch(f"/api/v1/incidents/{o['inc'].pk}/", {"title": "x"}, format="json")
    if res.status_code != 404:
        failures.append(("PATCH incident", res.status_code))
    assert failures == []
    o["inc"].refresh_from_db()
    assert o["inc"].status == "resolved" and ServiceRequest.objects.get(pk=o["req"].pk).status == "new"


def test_other_orgs_rows_never_listed(api_as, customer_a, b_objects):
    client = api_as(customer_a)
    for url in ("/api/v1/incidents/", "/api/v1/requests/", "/api/v1/cis/", "/api/v1/contacts/",
                "/api/v1/organizations/", f"/api/v1/incidents/?organization={b_objects['org'].pk}"):
        res = client.get(url)
        assert res.status_code == 200
        assert all(r.get("organization", r.get("id")) != b_objects["org"].pk for r in res.json()["results"]), url
