"""Issue 13: a staff member's reply by e-mail (a known staff sender, on the thread of a ticket they
may access) becomes an internal work note on that ticket; a stranger, or a staff member without
access, goes to triage. Against the real dovecot of the mailin tests."""

from __future__ import annotations

import uuid

import pytest
from django.core import mail

from incidents.models import Incident
from mailin.choices import InboundStatus
from mailin.models import InboundMail
from tests.factories import UserFactory
from tickets.models import Comment, ServiceRequest

from .test_imap_intake import box, customer_org, make_mail, poll  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


@pytest.fixture
def opened(box, customer_org, poll):  # noqa: F811
    """A customer's mail opened a request; the acknowledgement is the thread staff reply to."""
    box.append(make_mail(sender="wang.li@hospital.test", subject="VPN broken",
                         message_id=f"<{uuid.uuid4().hex}@hospital.test>"))
    poll(box)
    return ServiceRequest.objects.get(), mail.outbox[0].extra_headers["Message-ID"]


def test_staff_reply_on_the_thread_becomes_an_internal_note(box, opened, poll):  # noqa: F811
    req, ack_id = opened
    engineer = UserFactory(username="eng-mail", role="engineer", email="Eng@Desk.test")
    box.append(make_mail(sender="Engineer <eng@desk.test>", subject="Re: something", body="Replaced the token.",
                         headers={"In-Reply-To": ack_id, "References": ack_id}))
    # and by the number in the subject alone
    box.append(make_mail(sender="eng@desk.test", subject=f"[{req.number}] follow-up", body="Customer confirmed."))
    poll(box)
    notes = list(Comment.objects.filter(ticket_kind="request", ticket_id=req.pk).order_by("pk"))
    assert [n.body.split("\n")[-1] for n in notes] == ["Replaced the token.", "Customer confirmed."]
    assert all(n.author == engineer and n.public is False for n in notes)
    rows = InboundMail.objects.filter(from_address="eng@desk.test").order_by("pk")
    assert [r.status for r in rows] == [InboundStatus.COMMENT, InboundStatus.COMMENT]
    assert "internal note" in rows[0].reason and rows[0].ticket_number == req.number
    assert ServiceRequest.objects.count() == 1 and Incident.objects.count() == 0


def test_stranger_and_staff_without_access_go_to_triage(box, opened, poll):  # noqa: F811
    req, ack_id = opened
    # A document admin is staff but has no view permission on requests.
    UserFactory(username="docs", role="doc_admin", email="docs@desk.test")
    box.append(make_mail(sender="docs@desk.test", subject=f"Re: [{req.number}]", body="not mine",
                         headers={"In-Reply-To": ack_id}))
    box.append(make_mail(sender="eve@nowhere.test", subject=f"Re: [{req.number}]", body="hi",
                         headers={"In-Reply-To": ack_id}))
    # A staff mail on no ticket's thread: triage, never a ticket in their name.
    UserFactory(username="eng2", role="engineer", email="eng2@desk.test")
    box.append(make_mail(sender="eng2@desk.test", subject="lunch?", body="?"))
    poll(box)
    assert not Comment.objects.filter(ticket_kind="request", ticket_id=req.pk).exists()
    statuses = dict(InboundMail.objects.exclude(from_address="wang.li@hospital.test")
                    .values_list("from_address", "status"))
    assert statuses == {"docs@desk.test": InboundStatus.TRIAGE, "eve@nowhere.test": InboundStatus.TRIAGE,
                        "eng2@desk.test": InboundStatus.TRIAGE}
    assert "may not access" in InboundMail.objects.get(from_address="docs@desk.test").reason
    assert ServiceRequest.objects.count() == 1
