"""Issue 13: approval and rating-survey mails carry the ticket's thread headers like every other
ticket mail (a Message-ID recorded in MailThread, In-Reply-To/References to the ticket's thread),
so the recipient's reply threads back onto the right ticket."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction

from mailin.choices import InboundStatus
from mailin.models import MailThread
from quality.models import RatingInvitation
from quality.services import rating_invitation_send
from tickets.approvals import ApproverSpec, approval_open, approver_link_send
from tickets.locking import ticket_lock
from tickets.models import ServiceRequest

from .test_threading import mailbox, process, raw, world  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def _thread_started(ticket, now) -> None:
    MailThread.objects.create(message_id="<first@hospital.test>", direction="in", ticket_kind=ticket.KIND,
                              ticket_id=ticket.pk, ticket_number=ticket.number, created_at=now)


def _assert_threaded(message, ticket) -> str:
    headers = message.extra_headers
    assert headers["In-Reply-To"] == "<first@hospital.test>"
    assert headers["References"] == "<first@hospital.test>"
    row = MailThread.objects.get(message_id=headers["Message-ID"])
    assert (row.direction, row.ticket_kind, row.ticket_id) == ("out", ticket.KIND, ticket.pk)
    return headers["Message-ID"]


def test_approval_link_mail_threads_and_a_reply_lands_on_the_ticket(mailbox, world, now):  # noqa: F811
    hospital, _bank, ticket = world
    _thread_started(ticket, now)
    with transaction.atomic():
        locked = ticket_lock(ServiceRequest, ticket.pk)
        approval = approval_open(ticket=locked, stage="customer", approvers=[ApproverSpec(email="wang@hospital.test",
                                                                                          name="Wang")],
                                 approve_action="approve", actor=None, now=now, send_links=False)
    approver = approval.approvers.get()
    mail.outbox.clear()
    assert approver_link_send(approver_id=approver.pk, now=now) is True
    message_id = _assert_threaded(mail.outbox[-1], ticket)
    inbound = process(mailbox, raw("wang@hospital.test", "Re: Your approval is requested",
                                   f"In-Reply-To: {message_id}\r\nReferences: {message_id}\r\n"))
    assert inbound.status == InboundStatus.COMMENT and inbound.ticket_number == ticket.number


def test_rating_invitation_mail_threads_and_a_reply_lands_on_the_ticket(mailbox, world, now):  # noqa: F811
    hospital, _bank, ticket = world
    _thread_started(ticket, now)
    invitation = RatingInvitation.objects.create(ticket_kind=ticket.KIND, ticket_id=ticket.pk, organization=hospital,
                                                 email="wang@hospital.test", created_at=now,
                                                 expires_at=now + timedelta(days=14))
    mail.outbox.clear()
    assert rating_invitation_send(invitation_id=invitation.pk, now=now) is True
    message_id = _assert_threaded(mail.outbox[-1], ticket)
    # A reply quoting only References (some clients drop In-Reply-To) threads too.
    inbound = process(mailbox, raw("wang@hospital.test", "Re: thanks", f"References: {message_id}\r\n"))
    assert inbound.status == InboundStatus.COMMENT and inbound.ticket_number == ticket.number
