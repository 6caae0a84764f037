"""The staff triage pages: list, detail, open a ticket, discard; customers get 404."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from mailin.choices import InboundStatus, Security
from mailin.models import InboundMail, Mailbox
from tests.factories import PASSWORD, ContactFactory, CustomerFactory, OrganizationFactory, UserFactory
from tickets.models import Attachment, ServiceRequest

pytestmark = pytest.mark.django_db

RAW = (b"From: Stranger <s@x.test>\r\nSubject: =?gb2312?B?tPLTobv6?=\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
       b"--B\r\nContent-Type: text/plain\r\n\r\n<script>alert(1)</script> please help\r\n"
       b"--B\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=a.pdf\r\n\r\n%PDF\r\n--B--\r\n")


@pytest.fixture
def triaged():
    box = Mailbox.objects.create(name="desk", host="h", port=1, security=Security.PLAIN, username="u")
    return InboundMail.objects.create(
        mailbox=box, uidvalidity=1, uid=1, status=InboundStatus.TRIAGE, from_address="s@x.test", from_name="Stranger",
        subject="打印机", body="<script>alert(1)</script> please help", raw=RAW, reason="Unknown sender",
        received_at=timezone.now())


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def test_staff_see_the_list_and_the_escaped_mail(client, triaged):
    login(client, UserFactory(username="op", role="operator"))
    page = client.get(reverse("mailin:triage"))
    assert page.status_code == 200 and "打印机" in page.content.decode()
    detail = client.get(reverse("mailin:triage_detail", args=[triaged.pk])).content.decode()
    assert "&lt;script&gt;" in detail and "<script>alert" not in detail
    assert "a.pdf" in detail


def test_open_a_ticket_from_triage(client, triaged):
    org = OrganizationFactory(code="school")
    contact = ContactFactory(organization=org, email="")
    login(client, UserFactory(username="op", role="operator"))
    url = reverse("mailin:triage_open", args=[triaged.pk])
    bad = client.post(url, {"organization": "", "open_as": "request"})
    assert bad.status_code == 400
    other = ContactFactory(organization=OrganizationFactory(code="zoo"))
    wrong = client.post(url, {"organization": org.pk, "contact": other.pk, "open_as": "request"})
    assert wrong.status_code == 400 and not ServiceRequest.objects.exists()
    done = client.post(url, {"organization": org.pk, "contact": contact.pk, "open_as": "request"})
    req = ServiceRequest.objects.get()
    assert done.status_code == 302 and done["Location"] == reverse("tickets:detail", args=[req.pk])
    assert req.channel == "email" and req.contact == contact
    assert Attachment.objects.filter(ticket_id=req.pk, name="a.pdf").exists()
    triaged.refresh_from_db()
    assert triaged.status == InboundStatus.TRIAGED and triaged.ticket_number == req.number
    again = client.post(url, {"organization": org.pk, "open_as": "request"})
    assert again.status_code == 400 and ServiceRequest.objects.count() == 1


def test_discard_keeps_the_mail(client, triaged):
    login(client, UserFactory(username="op", role="operator"))
    response = client.post(reverse("mailin:triage_discard", args=[triaged.pk]), {"note": "spam"})
    assert response.status_code == 302
    triaged.refresh_from_db()
    assert triaged.status == InboundStatus.DISCARDED and "spam" in triaged.reason
    assert client.get(reverse("mailin:triage")).content.decode().count("打印机") == 0


def test_customers_get_404(client, triaged):
    login(client, CustomerFactory())
    for url in (reverse("mailin:triage"), reverse("mailin:triage_detail", args=[triaged.pk])):
        assert client.get(url).status_code == 404
    assert client.post(reverse("mailin:triage_discard", args=[triaged.pk])).status_code == 404
