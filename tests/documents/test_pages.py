"""Staff pages (library, document, upload, publish, update-due, CI panel) and the portal's
documents: customers download their organisation's published documents only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from changes.models import Change
from changes.services import change_create
from documents.models import Document, DocumentVersion

pytestmark = pytest.mark.django_db


def content(response) -> bytes:
    return b"".join(response.streaming_content)


def test_library_list_filters_and_shows_due(client, manager, operator, make_document, org_a, org_b, ci_a, now):
    doc = make_document(organization=org_a, cis=[ci_a], title="Uplink circuits", at=now - timedelta(days=9))
    make_document(organization=org_b, title="Bravo manual", category="manual")
    change = change_create(actor=operator, organization=org_a, title="Swap uplink", cis=[ci_a], now=now)
    Change.objects.filter(pk=change.pk).update(status="implemented", implemented_at=now - timedelta(days=5))
    client.force_login(manager)
    page = client.get(reverse("documents:list")).content.decode()
    assert "Uplink circuits" in page and "Bravo manual" in page and "Update overdue" in page
    page = client.get(reverse("documents:list"), {"organization": org_b.pk}).content.decode()
    assert "Bravo manual" in page and "Uplink circuits" not in page
    page = client.get(reverse("documents:list"), {"update": "overdue"}).content.decode()
    assert "Uplink circuits" in page and "Bravo manual" not in page
    page = client.get(reverse("documents:list"), {"ci": ci_a.pk, "q": "uplink"}).content.decode()
    assert "Uplink circuits" in page
    assert client.get(reverse("documents:list"), {"organization": "2.5e27"}).status_code == 200  # a message, not a 500
    due = client.get(reverse("documents:update_due")).content.decode()
    assert "Uplink circuits" in due and change.number in due
    detail = client.get(reverse("documents:detail", args=[doc.pk])).content.decode()
    assert change.number in detail
    panel = client.get(reverse("documents:ci_panel", args=[ci_a.pk])).content.decode()
    assert "Uplink circuits" in panel and "Update overdue" in panel


def test_file_a_document_and_upload_a_version(client, docadmin, org_a, ci_a):
    client.force_login(docadmin)
    assert client.get(reverse("documents:new"), {"ci": ci_a.pk}).status_code == 200
    options = client.get(reverse("documents:ci_options"), {"organization": org_a.pk}).content.decode()
    assert ci_a.name in options
    response = client.post(reverse("documents:new"), {
        "title": "Camera addresses", "category": "install_addresses", "organization": org_a.pk, "cis": [ci_a.pk],
        "file": SimpleUploadedFile("cams.csv", b"a,b\n"), "note": "first"})
    doc = Document.objects.get(title="Camera addresses")
    assert response.status_code == 302 and response["Location"] == reverse("documents:detail", args=[doc.pk])
    response = client.post(reverse("documents:upload", args=[doc.pk]), {
        "file": SimpleUploadedFile("cams.csv", b"a,b\nc,d\n"), "note": "added row", "version": doc.version})
    assert response.status_code == 302
    stale = client.post(reverse("documents:upload", args=[doc.pk]), {
        "file": SimpleUploadedFile("cams.csv", b"x"), "version": doc.version})
    assert stale.status_code == 409
    assert list(DocumentVersion.objects.filter(document=doc).values_list("number", flat=True).order_by("number")) == [1, 2]
    page = client.get(reverse("documents:detail", args=[doc.pk])).content.decode()
    assert "added row" in page and "v2" in page
    assert content(client.get(reverse("documents:version_file", args=[doc.pk, 1]))) == b"a,b\n"
    missing = client.post(reverse("documents:new"), {"title": "", "category": "manual", "organization": org_a.pk})
    assert missing.status_code == 400


def test_publish_and_archive_buttons(client, docadmin, engineer, make_document, org_a):
    doc = make_document(organization=org_a)
    client.force_login(engineer)
    assert "Publish to the customer" not in client.get(reverse("documents:detail", args=[doc.pk])).content.decode()
    assert client.post(reverse("documents:action", args=[doc.pk, "publish"])).status_code == 403
    client.force_login(docadmin)
    assert client.post(reverse("documents:action", args=[doc.pk, "publish"]),
                       {"version": doc.version}).status_code == 302
    assert Document.objects.get(pk=doc.pk).published
    assert client.post(reverse("documents:action", args=[doc.pk, "archive"]), {"reason": ""}).status_code == 400
    assert client.post(reverse("documents:action", args=[doc.pk, "archive"]), {"reason": "gone"}).status_code == 302
    assert client.post(reverse("documents:action", args=[doc.pk, "explode"])).status_code == 404


def test_staff_pages_do_not_exist_for_customers(client, customer_a, make_document, org_a, ci_a):
    doc = make_document(organization=org_a, published=True)
    client.force_login(customer_a)
    for url in (reverse("documents:list"), reverse("documents:detail", args=[doc.pk]),
                reverse("documents:version_file", args=[doc.pk, 1]), reverse("documents:ci_panel", args=[ci_a.pk])):
        assert client.get(url).status_code == 404


def test_portal_lists_and_downloads_own_published_documents(client, customer_a, make_document, org_a, org_b):
    mine = make_document(organization=org_a, published=True, files=(b"v1", b"v2"), title="Our circuit data")
    internal = make_document(organization=org_a, title="Internal firewall config")
    theirs = make_document(organization=org_b, published=True, title="Bravo circuit data")
    client.force_login(customer_a)
    page = client.get(reverse("portal:documents")).content.decode()
    assert "Our circuit data" in page
    assert "Internal firewall config" not in page and "Bravo circuit data" not in page
    detail = client.get(reverse("portal:document", args=[mine.pk])).content.decode()
    assert "v2" in detail and "v1" in detail
    assert content(client.get(reverse("portal:document_file", args=[mine.pk, 1]))) == b"v1"
    assert content(client.get(reverse("portal:document_file", args=[mine.pk, 2]))) == b"v2"
    for doc in (internal, theirs):
        assert client.get(reverse("portal:document", args=[doc.pk])).status_code == 404
        assert client.get(reverse("portal:document_file", args=[doc.pk, 1])).status_code == 404
    assert client.get(reverse("portal:document_file", args=[mine.pk, 3])).status_code == 404
    assert "Our circuit data" in client.get(reverse("portal:documents"), {"q": "circuit"}).content.decode()


def test_portal_documents_are_for_customers_only(client, manager):
    client.force_login(manager)
    assert client.get(reverse("portal:documents")).status_code == 404


def test_seed_is_idempotent(db, now):
    from io import StringIO

    from django.core.management import call_command

    call_command("seed_demo", stdout=StringIO())
    count = Document.objects.count()
    assert count >= 8 and DocumentVersion.objects.count() > count
    assert Document.objects.filter(published=True).exists()
    from documents.seed_data import seed

    seed(now=now, stdout=StringIO())
    assert Document.objects.count() == count
