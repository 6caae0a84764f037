"""Issue #12: inline preview of images and PDFs among attachments and documents (sniffed type,
inline, nosniff, sandboxing CSP; anything else stays a download), and the work order page."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.choices import Role
from incidents.services import incident_create
from tests.factories import UserFactory
from tickets.services import ticket_attachment_add

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
HTML = b"<html><script>alert(document.cookie)</script></html>"


@pytest.fixture
def incident(org_a):
    op = UserFactory(username="op", role=Role.OPERATOR)
    return incident_create(actor=op, organization=org_a, title="Camera offline", now=timezone.now())


def _attach(incident, name, data, content_type):
    author = UserFactory(username=f"eng-{name}", role=Role.ENGINEER)
    return ticket_attachment_add(ticket=incident, author=author, public=True, now=timezone.now(),
                                 upload=SimpleUploadedFile(name, data, content_type=content_type))


def test_image_and_pdf_open_inline_and_sandboxed(client, incident, dispatcher):
    png = _attach(incident, "photo.png", PNG, "image/png")
    pdf = _attach(incident, "manual.pdf", PDF, "application/pdf")
    client.force_login(dispatcher)
    url = f"/incidents/{incident.pk}/attachments/{png.pk}/"
    r = client.get(url + "?inline=1")
    assert r.status_code == 200 and r["Content-Type"] == "image/png"
    assert r["Content-Disposition"].startswith("inline") and r["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in r["Content-Security-Policy"]
    assert client.get(url)["Content-Disposition"].startswith("attachment")  # the plain link still downloads
    r = client.get(f"/incidents/{incident.pk}/attachments/{pdf.pk}/?inline=1")
    assert r["Content-Type"] == "application/pdf" and r["Content-Disposition"].startswith("inline")
    assert r["Content-Security-Policy"] == "sandbox" and r["X-Content-Type-Options"] == "nosniff"
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert f"{url}?inline=1" in page and "attachment-thumb" in page


def test_html_disguised_as_an_image_is_never_inline(client, incident, dispatcher):
    fake = _attach(incident, "photo.png", HTML, "image/png")
    client.force_login(dispatcher)
    r = client.get(f"/incidents/{incident.pk}/attachments/{fake.pk}/?inline=1")
    assert r["Content-Disposition"].startswith("attachment")
    assert r["Content-Type"] != "text/html"


def test_customer_previews_own_public_attachment_only(client, incident, customer_a, customer_b):
    png = _attach(incident, "photo.png", PNG, "image/png")
    client.force_login(customer_a)
    r = client.get(f"/portal/incidents/{incident.pk}/attachments/{png.pk}/?inline=1")
    assert r.status_code == 200 and r["Content-Disposition"].startswith("inline")
    client.force_login(customer_b)
    assert client.get(f"/portal/incidents/{incident.pk}/attachments/{png.pk}/?inline=1").status_code == 404


@pytest.mark.parametrize(("language", "heading", "sign"), [("zh-hans", "维修工单", "客户签字"),
                                                            ("en", "Maintenance work order", "Customer's signature")])
def test_work_order_page(client, incident, dispatcher, language, heading, sign):
    client.force_login(dispatcher)
    page = client.get(f"/incidents/{incident.pk}/print/?language={language}").content.decode()
    assert heading in page and sign in page and incident.number in page
    assert "css/print.css" in page and "js/print.js" in page and "<script>" not in page and "style=" not in page


def test_customers_get_no_work_order(client, org_b):
    other = incident_create(actor=UserFactory(username="op2", role=Role.OPERATOR), organization=org_b,
                            title="Theirs", now=timezone.now())
    client.force_login(UserFactory(username="cust-b", role=Role.CUSTOMER, organization=org_b))
    response = client.get(f"/incidents/{other.pk}/print/")
    assert response.status_code != 200 and other.number not in response.content.decode()
