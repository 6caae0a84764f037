"""The documents API: list/detail/create, versions (multipart upload, download), publish, 409,
413, tenancy (customers: own published only; others 404)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from changes.models import Change
from changes.services import change_create
from documents.models import Document

pytestmark = pytest.mark.django_db


def body(response):
    return b"".join(response.streaming_content)


def test_create_with_first_version_and_upload_more(api_as, docadmin, org_a, ci_a):
    client = api_as(docadmin)
    response = client.post("/api/v1/documents/", {
        "title": "Core switch config", "category": "configuration", "organization": org_a.pk, "cis": [ci_a.pk],
        "file": SimpleUploadedFile("sw.cfg", b"hostname core"), "note": "first",
    }, format="multipart")
    assert response.status_code == 201, response.content
    doc = response.json()
    assert doc["latest_version"] == 1 and doc["cis"] == [ci_a.pk] and doc["versions"][0]["note"] == "first"
    assert doc["versions"][0]["sha256"] == hashlib.sha256(b"hostname core").hexdigest()

    url = f"/api/v1/documents/{doc['id']}/versions/"
    response = client.post(url, {"file": SimpleUploadedFile("sw.cfg", b"hostname core-2"), "note": "renamed",
                                 "version": doc["version"]}, format="multipart")
    assert response.status_code == 201, response.content
    assert response.json()["number"] == 2
    stale = client.post(url, {"file": SimpleUploadedFile("sw.cfg", b"hostname core-3"), "version": doc["version"]},
                        format="multipart")
    assert stale.status_code == 409 and "version" in stale.json()

    listed = client.get(url).json()["results"]
    assert [v["number"] for v in listed] == [2, 1]
    old = client.get(listed[1]["download_url"])
    assert old.status_code == 200 and body(old) == b"hostname core"
    assert body(client.get(f"/api/v1/documents/{doc['id']}/versions/2/file/")) == b"hostname core-2"
    assert client.get(f"/api/v1/documents/{doc['id']}/versions/3/file/").status_code == 404

    events = client.get(f"/api/v1/documents/{doc['id']}/events/").json()["results"]
    assert [e["action"] for e in events] == ["created", "version_added", "version_added"]


def test_json_create_and_validation(api_as, docadmin, org_a, ci_b):
    client = api_as(docadmin)
    bad = client.post("/api/v1/documents/", {"title": "", "category": "x", "organization": org_a.pk}, format="json")
    assert bad.status_code == 400 and {"title", "category"} <= set(bad.json())
    foreign_ci = client.post("/api/v1/documents/", {"title": "T", "category": "manual", "organization": org_a.pk,
                                                    "cis": [ci_b.pk]}, format="json")
    assert foreign_ci.status_code == 400 and "cis" in foreign_ci.json()
    ok = client.post("/api/v1/documents/", {"title": "T", "category": "manual", "organization": org_a.pk},
                     format="json")
    assert ok.status_code == 201 and ok.json()["latest_version"] == 0


def test_upload_over_the_limit_is_413(api_as, docadmin, make_document, org_a, settings):
    settings.ATTACHMENT_MAX_BYTES = 100
    doc = make_document(organization=org_a)
    response = api_as(docadmin).post(f"/api/v1/documents/{doc.pk}/versions/",
                                     {"file": SimpleUploadedFile("big.bin", b"x" * 101)}, format="multipart")
    assert response.status_code == 413
    assert Document.objects.get(pk=doc.pk).latest_number == 1


def test_publish_unpublish_archive(api_as, docadmin, engineer, make_document, org_a):
    doc = make_document(organization=org_a)
    assert api_as(engineer).post(f"/api/v1/documents/{doc.pk}/publish/", {}, format="json").status_code == 403
    client = api_as(docadmin)
    published = client.post(f"/api/v1/documents/{doc.pk}/publish/", {"version": doc.version}, format="json")
    assert published.status_code == 200 and published.json()["published"] is True
    assert client.post(f"/api/v1/documents/{doc.pk}/unpublish/", {"version": doc.version},
                       format="json").status_code == 409
    assert client.post(f"/api/v1/documents/{doc.pk}/archive/", {}, format="json").status_code == 400
    archived = client.post(f"/api/v1/documents/{doc.pk}/archive/", {"reason": "replaced"}, format="json")
    assert archived.json()["status"] == "archived"


def test_customer_sees_own_published_documents_only(api_as, make_document, org_a, org_b, customer_a):
    mine = make_document(organization=org_a, published=True, files=(b"one", b"two"), title="Mine")
    internal = make_document(organization=org_a, title="Internal")
    theirs = make_document(organization=org_b, published=True, title="Theirs")
    client = api_as(customer_a)
    results = client.get("/api/v1/documents/").json()["results"]
    assert [d["id"] for d in results] == [mine.pk]
    assert results[0]["update_due_since"] is None and results[0]["update_overdue"] is None
    for doc in (internal, theirs):
        assert client.get(f"/api/v1/documents/{doc.pk}/").status_code == 404
        assert client.get(f"/api/v1/documents/{doc.pk}/versions/").status_code == 404
        assert client.get(f"/api/v1/documents/{doc.pk}/versions/1/file/").status_code == 404
        assert client.post(f"/api/v1/documents/{doc.pk}/versions/",
                           {"file": SimpleUploadedFile("x.txt", b"x")}, format="multipart").status_code == 404
    assert body(client.get(f"/api/v1/documents/{mine.pk}/versions/1/file/")) == b"one"
    assert client.get(f"/api/v1/documents/{mine.pk}/events/").status_code == 404
    assert client.post(f"/api/v1/documents/{mine.pk}/versions/", {"file": SimpleUploadedFile("x.txt", b"x")},
                       format="multipart").status_code == 403
    assert client.post("/api/v1/documents/", {"title": "T", "category": "manual", "organization": org_a.pk},
                       format="json").status_code == 403
    assert client.get("/api/v1/documents/update-due/").status_code == 403


def test_filters_and_update_due_endpoint(api_as, manager, operator, make_document, org_a, org_b, ci_a, now):
    doc = make_document(organization=org_a, cis=[ci_a], category="manual", at=now - timedelta(days=10))
    make_document(organization=org_b, title="B doc")
    client = api_as(manager)
    assert [d["id"] for d in client.get(f"/api/v1/documents/?organization={org_a.pk}").json()["results"]] == [doc.pk]
    assert [d["id"] for d in client.get(f"/api/v1/documents/?ci={ci_a.pk}").json()["results"]] == [doc.pk]
    assert [d["id"] for d in client.get("/api/v1/documents/?category=manual").json()["results"]] == [doc.pk]
    assert client.get("/api/v1/documents/?q=B doc").json()["results"][0]["title"] == "B doc"
    assert client.get("/api/v1/documents/?category=nope").status_code == 400
    assert client.get("/api/v1/documents/update-due/").json()["results"] == []

    change = change_create(actor=operator, organization=org_a, title="Firmware", cis=[ci_a], now=now)
    Change.objects.filter(pk=change.pk).update(status="implemented", implemented_at=now - timedelta(days=4))
    due = client.get("/api/v1/documents/update-due/?overdue=true").json()["results"]
    assert [d["id"] for d in due] == [doc.pk]
    assert due[0]["update_change"] == change.pk and due[0]["update_overdue"] is True
    assert [d["id"] for d in client.get("/api/v1/documents/?update=overdue").json()["results"]] == [doc.pk]
    detail = client.get(f"/api/v1/documents/{doc.pk}/").json()
    assert detail["update_change_number"] == change.number


def test_patch_details(api_as, docadmin, make_document, org_a, ci_a):
    doc = make_document(organization=org_a)
    client = api_as(docadmin)
    response = client.patch(f"/api/v1/documents/{doc.pk}/", {"title": "Renamed", "cis": [ci_a.pk],
                                                             "version": doc.version}, format="json")
    assert response.status_code == 200 and response.json()["title"] == "Renamed"
    assert client.patch(f"/api/v1/documents/{doc.pk}/", {"title": "Again", "version": doc.version},
                        format="json").status_code == 409
    assert client.patch(f"/api/v1/documents/{doc.pk}/", {}, format="json").status_code == 400
