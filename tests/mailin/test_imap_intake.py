"""The mailbox path end to end against a real IMAP server (dovecot, see conftest): mails appended
with IMAP APPEND, the poll run, the tickets, comments, triage entries and replies checked."""

from __future__ import annotations

import uuid
from email.message import EmailMessage

import pytest
from django.core import mail

from incidents.models import Incident
from mailin.choices import InboundStatus, OpenAs, Security
from mailin.crypto import password_encrypt
from mailin.models import InboundMail, Mailbox, MailThread
from mailin.services import mailbox_poll, triage_discard, triage_open_ticket
from tests.factories import ContactFactory, CustomerFactory, OrganizationFactory, UserFactory
from tickets.choices import Channel
from tickets.models import Attachment, Comment, ServiceRequest

pytestmark = pytest.mark.django_db


def make_mail(*, sender: str, subject: str, body: str = "Hello", html: str | None = None, headers=None,
              attachments=(), message_id: str | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "desk@opsdesk.test"
    msg["Subject"] = subject
    msg["Message-ID"] = message_id or f"<{uuid.uuid4().hex}@customer.test>"
    for key, value in (headers or {}).items():
        msg[key] = value
    if html is not None:
        msg.set_content(html, subtype="html")
    else:
        msg.set_content(body)
    for name, data, ctype in attachments:
        maintype, subtype = ctype.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return bytes(msg)


@pytest.fixture
def box(dovecot):
    user = f"desk-{uuid.uuid4().hex[:8]}@opsdesk.test"
    mailbox = Mailbox.objects.create(
        name=user, is_active=True, host=dovecot.host, port=dovecot.port, security=Security.PLAIN, username=user,
        password_encrypted=password_encrypt(dovecot.password), address=user, open_as=OpenAs.REQUEST,
        incident_keywords="故障, outage", process_existing=True)

    def append(raw: bytes) -> None:
        dovecot.append(user, raw)

    mailbox.append = append  # type: ignore[attr-defined]
    return mailbox


@pytest.fixture
def customer_org():
    org = OrganizationFactory(name="Hospital", code="hospital")
    contact = ContactFactory(organization=org, name="Wang Li", email="wang.li@hospital.test")
    return org, contact


@pytest.fixture
def poll(django_capture_on_commit_callbacks):
    def run(box):
        with django_capture_on_commit_callbacks(execute=True):
            summary = mailbox_poll(mailbox_id=box.pk)
        assert summary.error == "", summary.error
        return summary

    return run


def test_known_contact_opens_a_request_with_attachment_and_is_acknowledged(box, customer_org, poll):
    org, contact = customer_org
    box.append(make_mail(sender="Wang Li <Wang.Li@hospital.test>", subject="打印机无法打印",
                         body="三楼打印机卡纸。", attachments=[("photo.png", b"\x89PNG fake", "image/png")]))
    summary = poll(box)
    assert summary.fetched == 1
    req = ServiceRequest.objects.get()
    assert (req.organization, req.contact, req.channel, req.title) == (org, contact, Channel.EMAIL, "打印机无法打印")
    assert "三楼打印机卡纸" in req.description
    att = Attachment.objects.get(ticket_kind="request", ticket_id=req.pk)
    assert att.name == "photo.png" and att.public
    inbound = InboundMail.objects.get()
    assert inbound.status == InboundStatus.TICKET and inbound.ticket_number == req.number
    # acknowledged in Chinese (the mail is Chinese), number in the subject, threaded to the customer's mail
    assert len(mail.outbox) == 1
    ack = mail.outbox[0]
    assert ack.to == ["wang.li@hospital.test"] and req.number in ack.subject and "已" in ack.subject + ack.body
    assert ack.extra_headers["In-Reply-To"] == inbound.message_id
    assert ack.extra_headers["Auto-Submitted"] == "auto-replied"
    assert MailThread.objects.filter(message_id=ack.extra_headers["Message-ID"], ticket_number=req.number).exists()
    # polling again changes nothing (UID remembered)
    assert poll(box).fetched == 0
    assert ServiceRequest.objects.count() == 1 and len(mail.outbox) == 1


def test_keyword_opens_an_incident_and_customer_user_is_the_reporter(box, poll):
    customer = CustomerFactory(username="nurse", email="nurse@hospital.test")
    box.append(make_mail(sender="nurse@hospital.test", subject="Core switch outage", body="Everything is down"))
    poll(box)
    incident = Incident.objects.get()
    assert incident.organization == customer.organization and incident.created_by == customer
    assert incident.channel == Channel.EMAIL
    assert "received" in mail.outbox[0].subject.lower()  # English mail → English acknowledgement


def test_reply_threads_by_header_and_by_subject_but_never_for_a_stranger(box, customer_org, poll):
    org, contact = customer_org
    first_id = f"<{uuid.uuid4().hex}@hospital.test>"
    box.append(make_mail(sender="wang.li@hospital.test", subject="VPN broken", message_id=first_id))
    poll(box)
    req = ServiceRequest.objects.get()
    ack = mail.outbox[0]
    # 1. a reply to our acknowledgement (References only, no number in the subject)
    box.append(make_mail(sender="wang.li@hospital.test", subject="Re: something else", body="Still broken",
                         headers={"References": f"{first_id} {ack.extra_headers['Message-ID']}"},
                         attachments=[("log.txt", b"vpn log", "text/plain")]))
    # 2. a reply with only the number in the subject, from a colleague (a customer user) of the same org
    CustomerFactory(username="colleague", email="colleague@hospital.test", organization=org)
    box.append(make_mail(sender="colleague@hospital.test", subject=f"Re: [{req.number}] VPN broken", body="Me too"))
    # 3. a stranger (another organisation's contact) naming the ticket number: never lands on it
    other = OrganizationFactory(name="Bank", code="bank")
    ContactFactory(organization=other, email="mallory@bank.test")
    box.append(make_mail(sender="mallory@bank.test", subject=f"Re: [{req.number}] VPN broken", body="pwned",
                         headers={"In-Reply-To": ack.extra_headers["Message-ID"]}))
    # 4. an unknown sender with the number → triage
    box.append(make_mail(sender="eve@nowhere.test", subject=f"Re: [{req.number}]", body="hi"))
    poll(box)
    comments = list(Comment.objects.filter(ticket_kind="request", ticket_id=req.pk).order_by("pk"))
    assert [c.body.split("\n")[-1] for c in comments] == ["Still broken", "Me too"]
    assert all(c.public for c in comments)
    assert comments[1].author.username == "colleague"
    assert Attachment.objects.filter(ticket_kind="request", ticket_id=req.pk, name="log.txt").exists()
    mallory = ServiceRequest.objects.get(organization=other)
    assert "pwned" in mallory.description
    assert "not threaded onto" in InboundMail.objects.get(from_address="mallory@bank.test").reason
    assert InboundMail.objects.get(from_address="eve@nowhere.test").status == InboundStatus.TRIAGE
    assert not Comment.objects.filter(body__contains="pwned").exists()
    assert not Comment.objects.filter(body__contains="hi", ticket_id=req.pk).exists()


def test_auto_reply_is_logged_never_answered_and_opens_nothing(box, customer_org, poll):
    box.append(make_mail(sender="wang.li@hospital.test", subject="Out of office", headers={"Auto-Submitted": "auto-replied"}))
    box.append(make_mail(sender="wang.li@hospital.test", subject="自动回复", headers={"X-Autoreply": "yes"}))
    box.append(make_mail(sender=box.address, subject="our own mail back"))
    poll(box)
    assert ServiceRequest.objects.count() == 0 and mail.outbox == []
    assert set(InboundMail.objects.values_list("status", flat=True)) == {InboundStatus.IGNORED}


def test_one_bad_mail_is_failed_with_its_reason_and_the_next_goes_on(box, customer_org, settings, poll):
    bomb = b"From: wang.li@hospital.test\r\nSubject: bomb\r\n" + b"".join(
        f"Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n".encode() for i in range(150))
    box.append(bomb)
    box.max_message_bytes = 9000
    box.save()
    box.append(make_mail(sender="wang.li@hospital.test", subject="huge", body="x" * 12000))
    box.append(make_mail(sender="wang.li@hospital.test", subject="fine after the bad ones"))
    poll(box)
    failed = InboundMail.objects.filter(status=InboundStatus.FAILED).order_by("uid")
    assert [m.subject for m in failed] == ["bomb", "huge"]
    assert "multipart" in failed[0].reason and "over this mailbox's limit" in failed[1].reason
    assert ServiceRequest.objects.get().title == "fine after the bad ones"


def test_triage_opens_a_ticket_with_the_attachment_or_discards(box, poll):
    org = OrganizationFactory(name="School", code="school")
    staff = UserFactory(username="op", role="operator")
    box.append(make_mail(sender="someone@school.test", subject="Projector", attachments=[("p.pdf", b"%PDF-1.4", "application/pdf")]))
    box.append(make_mail(sender="spam@spam.test", subject="Buy now"))
    poll(box)
    first, second = InboundMail.objects.filter(status=InboundStatus.TRIAGE).order_by("uid")
    ticket = triage_open_ticket(inbound_id=first.pk, actor=staff, organization=org, contact=None,
                                open_as=OpenAs.INCIDENT, now=first.received_at)
    assert isinstance(ticket, Incident) and ticket.channel == Channel.EMAIL
    assert Attachment.objects.filter(ticket_kind="incident", ticket_id=ticket.pk, name="p.pdf").exists()
    triage_discard(inbound_id=second.pk, actor=staff, note="spam", now=second.received_at)
    assert InboundMail.objects.get(pk=second.pk).status == InboundStatus.DISCARDED  # kept, not deleted


@pytest.mark.django_db(transaction=True)
def test_two_pollers_process_each_mail_once(box, customer_org, monkeypatch):
    import threading

    # no lease: both pollers really read the same mails at once; the unique claim alone must hold
    monkeypatch.setattr("mailin.services._lease_take", lambda mailbox_id, now: True)

    for i in range(5):
        box.append(make_mail(sender="wang.li@hospital.test", subject=f"parallel {i}"))
    Mailbox.objects.filter(pk=box.pk).update(poll_lease_until=None)
    results = []

    def run():
        from django.db import connection

        try:
            results.append(mailbox_poll(mailbox_id=box.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert ServiceRequest.objects.count() == 5
    assert InboundMail.objects.count() == 5
    assert len(mail.outbox) == 5
    assert sum(r.fetched for r in results) == 5 and all(r.error == "" for r in results)


def test_a_new_mailbox_skips_the_mails_already_there_unless_told(box, customer_org, poll):
    Mailbox.objects.filter(pk=box.pk).update(process_existing=False)
    box.append(make_mail(sender="wang.li@hospital.test", subject="old mail from last year"))
    assert poll(box).fetched == 0
    box.append(make_mail(sender="wang.li@hospital.test", subject="new mail"))
    assert poll(box).fetched == 1
    assert list(ServiceRequest.objects.values_list("title", flat=True)) == ["new mail"]


def test_a_wrong_password_is_shown_on_the_mailbox_and_nothing_is_claimed(box):
    box.password_encrypted = password_encrypt("wrong")
    box.save()
    summary = mailbox_poll(mailbox_id=box.pk)
    box.refresh_from_db()
    assert summary.error and box.last_error == summary.error and box.poll_lease_until is None
    assert not InboundMail.objects.exists()


def test_beat_sweep_polls_every_active_mailbox_through_the_task(box, customer_org, django_capture_on_commit_callbacks):
    from mailin.tasks import mailboxes_poll_sweep_task
    from opsdesk.celery import app as celery_app

    inactive = Mailbox.objects.create(name="off", host="127.0.0.1", port=1, security=Security.PLAIN, username="x")
    box.append(make_mail(sender="wang.li@hospital.test", subject="via beat"))
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert mailboxes_poll_sweep_task() == 1
    finally:
        celery_app.conf.task_always_eager = previous
    assert ServiceRequest.objects.get().title == "via beat"
    assert Mailbox.objects.get(pk=inactive.pk).last_polled_at is None
    assert "mailin-poll" in celery_app.conf.beat_schedule
