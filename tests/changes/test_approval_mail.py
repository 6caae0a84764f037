"""The customer-approval e-mail has a delivery state: a failed try is counted with its reason and
retried by the sweep; after APPROVAL_MAIL_MAX_ATTEMPTS (or at once for an error retrying cannot fix)
it is marked failed, shown on the change page with the reason, and staff can send it again."""

from __future__ import annotations

import smtplib

import pytest
from django.core import mail
from django.urls import reverse

from changes.models import CustomerApproval
from changes.services import (
    APPROVAL_MAIL_MAX_ATTEMPTS,
    customer_approval_send,
    customer_approvals_send_due,
)
from tickets.models import Approver, TicketEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending(make_change):
    change = make_change(status="customer_approval")
    return change, CustomerApproval.objects.of_change(change).get()


def refuse_mail(monkeypatch, exc: Exception) -> None:
    def send(*args, **kwargs):
        raise exc

    monkeypatch.setattr("changes.services.ticket_mail_send", send)


def test_smtp_outage_is_retried_then_marked_failed_with_the_reason(pending, now, monkeypatch):
    _change, approval = pending
    refuse_mail(monkeypatch, smtplib.SMTPServerDisconnected("Connection unexpectedly closed"))
    for attempt in range(1, APPROVAL_MAIL_MAX_ATTEMPTS):
        assert customer_approvals_send_due(now=now) == 1
        approval.refresh_from_db()
        assert (approval.email_status, approval.email_attempts) == ("queued", attempt)
        assert "Connection unexpectedly closed" in approval.email_error
    assert customer_approvals_send_due(now=now) == 1
    approval.refresh_from_db()
    assert approval.email_status == "failed" and approval.email_failed_at == now
    assert approval.email_error == "SMTPServerDisconnected: Connection unexpectedly closed"
    assert customer_approvals_send_due(now=now) == 0  # given up: left to staff
    assert not mail.outbox


def test_refused_address_fails_at_once(pending, now, monkeypatch):
    _change, approval = pending
    refuse_mail(monkeypatch, smtplib.SMTPRecipientsRefused({approval.email: (550, b"No such user")}))
    assert not customer_approval_send(approval_id=approval.pk, now=now)
    approval.refresh_from_db()
    assert approval.email_status == "failed" and approval.email_attempts == 1
    assert "SMTPRecipientsRefused" in approval.email_error


def test_an_unexpected_error_marks_only_that_approval_failed(make_change, now, monkeypatch):
    first = make_change(status="customer_approval")
    second = make_change(status="customer_approval")
    real_send = __import__("changes.services", fromlist=["ticket_mail_send"]).ticket_mail_send

    def flaky(subject, *args, **kwargs):
        if first.number in subject:
            raise RuntimeError("template exploded")
        return real_send(subject, *args, **kwargs)

    monkeypatch.setattr("changes.services.ticket_mail_send", flaky)
    assert customer_approvals_send_due(now=now) == 2
    broken = CustomerApproval.objects.of_change(first).get()
    assert broken.email_status == "failed" and broken.email_error == "RuntimeError: template exploded"
    assert CustomerApproval.objects.of_change(second).get().email_status == "sent"
    assert customer_approvals_send_due(now=now) == 0


def test_change_page_shows_the_failure_and_staff_send_it_again(client, pending, manager, now, monkeypatch,
                                                              django_capture_on_commit_callbacks):
    change, approval = pending
    refuse_mail(monkeypatch, smtplib.SMTPRecipientsRefused({approval.email: (550, b"mailbox unavailable")}))
    customer_approval_send(approval_id=approval.pk, now=now)
    client.force_login(manager)
    page = client.get(reverse("changes:detail", args=[change.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "E-mail failed" in page and "mailbox unavailable" in page
    retry_url = reverse("changes:approval_mail_retry", args=[change.pk, approval.pk])
    assert retry_url in page

    monkeypatch.undo()  # the mail server works again
    from opsdesk.celery import app as celery_app

    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            res = client.post(retry_url, HTTP_ACCEPT_LANGUAGE="en")
    finally:
        celery_app.conf.task_always_eager = eager
    assert res.status_code == 302 and res["Location"].endswith("#approvals")
    approval.refresh_from_db()
    assert approval.email_status == "sent" and approval.email_error == "" and approval.email_attempts == 1
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [approval.email]
    event = TicketEvent.objects.filter(ticket_kind="change", ticket_id=change.pk).order_by("-seq").first()
    assert event.actor_id == manager.pk and event.data["approval_mail"] == "retry" and not event.public
    # nothing failed any more: a second retry is refused with a message, not a 500
    res = client.post(retry_url, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert res.status_code == 200 and "has not failed" in res.content.decode()


def test_retry_is_staff_only_and_scoped_to_the_change(client, pending, make_change, approver_a, manager):
    change, approval = pending
    Approver.objects.filter(pk=approval.link_approver.pk).update(email_failed_at=approval.created_at, email_error="x")
    client.force_login(approver_a)
    assert client.post(reverse("changes:approval_mail_retry", args=[change.pk, approval.pk])).status_code == 404
    other = make_change(status="draft")
    client.force_login(manager)
    assert client.post(reverse("changes:approval_mail_retry", args=[other.pk, approval.pk])).status_code == 404
    approval.refresh_from_db()
    assert approval.email_status == "failed"
