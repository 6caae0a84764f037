"""Threading and loop rules on the service, without a server: which ticket a mail may land on."""

from __future__ import annotations

import uuid

import pytest
from django.core import mail
from django.utils import timezone

from mailin.choices import InboundStatus, Security
from mailin.models import InboundMail, Mailbox, MailThread
from mailin.services import mail_process
from notifications.channels import Message, send_email
from notifications.choices import ChannelKind
from notifications.models import NotificationChannel
from tests.factories import ContactFactory, OrganizationFactory, UserFactory
from tickets.models import Comment, ServiceRequest
from tickets.services import request_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailbox():
    return Mailbox.objects.create(name="desk", host="127.0.0.1", port=1, security=Security.PLAIN, username="u",
                                  address="desk@opsdesk.test")


@pytest.fixture
def world(now):
    hospital = OrganizationFactory(name="Hospital", code="hospital")
    bank = OrganizationFactory(name="Bank", code="bank")
    ContactFactory(organization=hospital, email="wang@hospital.test")
    ContactFactory(organization=bank, email="mallory@bank.test")
    operator = UserFactory(username="op", role="operator")
    ticket = request_create(actor=operator, organization=hospital, title="VPN", request_type="service_request", now=now)
    return hospital, bank, ticket


def process(mailbox, raw: bytes):
    inbound = InboundMail.objects.create(mailbox=mailbox, uidvalidity=1, uid=InboundMail.objects.count() + 1,
                                         received_at=timezone.now())
    mail_process(inbound=inbound, raw=raw, mailbox=mailbox, now=timezone.now())
    inbound.save()
    return inbound


def raw(sender: str, subject: str, extra: str = "", body: str = "text") -> bytes:
    return (f"From: {sender}\r\nSubject: {subject}\r\nMessage-ID: <{uuid.uuid4().hex}@c.test>\r\n{extra}"
            f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n").encode()


def test_a_strangers_mail_with_a_ticket_number_never_lands_on_the_ticket(mailbox, world):
    hospital, bank, ticket = world
    inbound = process(mailbox, raw("mallory@bank.test", f"Re: [{ticket.number}] VPN", body="injected"))
    assert inbound.status == InboundStatus.TICKET and inbound.organization == bank
    assert not Comment.objects.filter(ticket_id=ticket.pk).exists()
    assert ticket.number in inbound.reason and "not threaded" in inbound.reason


def test_a_stranger_replying_to_our_message_id_never_lands_on_the_ticket(mailbox, world, now):
    hospital, bank, ticket = world
    MailThread.objects.create(message_id="<opsdesk.x@desk>", direction="out", ticket_kind="request",
                              ticket_id=ticket.pk, ticket_number=ticket.number, created_at=now)
    inbound = process(mailbox, raw("unknown@else.test", "Re: hello", "In-Reply-To: <opsdesk.x@desk>\r\n"))
    assert inbound.status == InboundStatus.TRIAGE
    assert not Comment.objects.filter(ticket_id=ticket.pk).exists()


def test_header_threading_wins_over_the_subject(mailbox, world, now):
    hospital, bank, ticket = world
    other = request_create(actor=UserFactory(role="operator"), organization=hospital, title="Other",
                           request_type="service_request", now=now)
    MailThread.objects.create(message_id="<root@c.test>", direction="in", ticket_kind="request",
                              ticket_id=ticket.pk, ticket_number=ticket.number, created_at=now)
    inbound = process(mailbox, raw("wang@hospital.test", f"Re: {other.number}", "References: <root@c.test>\r\n"))
    assert inbound.status == InboundStatus.COMMENT and inbound.ticket_number == ticket.number


def test_a_reply_to_a_closed_ticket_opens_a_follow_up(mailbox, world):
    hospital, bank, ticket = world
    ServiceRequest.objects.filter(pk=ticket.pk).update(status="closed")
    inbound = process(mailbox, raw("wang@hospital.test", f"Re: {ticket.number}", body="again"))
    assert inbound.status == InboundStatus.TICKET and inbound.ticket_number != ticket.number
    assert ticket.number in ServiceRequest.objects.get(number=inbound.ticket_number).description


def test_a_sender_over_the_hourly_rate_is_ignored_as_a_loop(mailbox, world, settings):
    settings.MAILIN_SENDER_RATE_PER_HOUR = 3
    statuses = [process(mailbox, raw("wang@hospital.test", f"n{i}")).status for i in range(5)]
    assert statuses == ["ticket"] * 3 + ["ignored"] * 2
    assert len(mail.outbox) == 0  # nothing acknowledged outside a committed transaction either way


def test_the_same_mail_twice_is_processed_once(mailbox, world):
    message = raw("wang@hospital.test", "twice")
    assert process(mailbox, message).status == InboundStatus.TICKET
    second = process(mailbox, message)
    assert second.status == InboundStatus.IGNORED and "Duplicate" in second.reason


def test_our_own_outgoing_message_id_coming_back_is_a_loop(mailbox, world, now):
    hospital, bank, ticket = world
    MailThread.objects.create(message_id="<opsdesk.req.1@elsewhere>", direction="out", ticket_kind="request",
                              ticket_id=ticket.pk, ticket_number=ticket.number, created_at=now)
    inbound = process(mailbox, raw("wang@hospital.test", "x").replace(b"Message-ID: <", b"X-Old: <", 1)
                      .replace(b"From:", b"Message-ID: <opsdesk.req.1@elsewhere>\r\nFrom:", 1))
    assert inbound.status == InboundStatus.IGNORED


def test_notification_mail_about_a_ticket_carries_a_recorded_message_id_and_the_thread(world, now):
    hospital, bank, ticket = world
    MailThread.objects.create(message_id="<first@c.test>", direction="in", ticket_kind="request",
                              ticket_id=ticket.pk, ticket_number=ticket.number, created_at=now)
    channel = NotificationChannel.objects.create(name="Mail", kind=ChannelKind.EMAIL, is_active=True)
    result = send_email(channel, Message(title=f"{ticket.number} updated", body="b", link="", number=ticket.number),
                        address="wang@hospital.test")
    assert result.ok
    headers = mail.outbox[0].extra_headers
    assert headers["References"] == "<first@c.test>" and headers["In-Reply-To"] == "<first@c.test>"
    row = MailThread.objects.get(message_id=headers["Message-ID"])
    assert (row.direction, row.ticket_number) == ("out", ticket.number)
    # and a reply to that notification threads back onto the ticket
    mailbox = Mailbox.objects.create(name="d", host="h", port=1, security=Security.PLAIN, username="u")
    inbound = process(mailbox, raw("wang@hospital.test", "Re: updated", f"In-Reply-To: {headers['Message-ID']}\r\n"))
    assert inbound.status == InboundStatus.COMMENT and inbound.ticket_number == ticket.number
