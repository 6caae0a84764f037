"""The customer's approval by signed single-use link: e-mailed once, works once, tampered,
expired and reused links open nothing, and the portal page shows what is approved."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from changes.links import LINK_LIFETIME, approval_token
from changes.models import CustomerApproval
from changes.services import customer_approval_send
from tickets.models import Approval, Approver

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending(make_change):
    change = make_change(status="customer_approval")
    return change, CustomerApproval.objects.of_change(change).get()


def token_of(approval):
    return approval_token(pk=approval.pk, nonce=approval.nonce)


def test_the_link_is_emailed_once_and_opens_the_change(client, pending, now):
    change, approval = pending
    assert customer_approval_send(approval_id=approval.pk, now=now)
    assert not customer_approval_send(approval_id=approval.pk, now=now)
    assert len(mail.outbox) == 1 and change.number in mail.outbox[0].subject
    path = re.search(r"https?://[^/]+(/r/change/[^\s]+/)", mail.outbox[0].body).group(1)
    assert change.number in client.get(path).content.decode()


def test_approve_by_link_once(client, pending):
    change, approval = pending
    url = reverse("links:change-approval", args=[token_of(approval)])
    page = client.get(url)
    assert page.status_code == 200 and change.number in page.content.decode()
    assert change.backout_plan in page.content.decode()
    response = client.post(url, {"decision": "approve", "comment": "OK for Saturday", "name": "Zhao Min"})
    assert response.status_code == 200
    change.refresh_from_db()
    approval.refresh_from_db()
    assert change.status == "approved" and approval.decided_via == "link" and approval.used_at
    assert approval.decided_by_name == "Zhao Min"
    again = client.post(url, {"decision": "reject", "comment": "changed my mind"})
    assert again.status_code == 410
    change.refresh_from_db()
    assert change.status == "approved"


def test_reject_by_link_needs_a_reason(client, pending):
    change, approval = pending
    url = reverse("links:change-approval", args=[token_of(approval)])
    assert client.post(url, {"decision": "reject", "comment": ""}).status_code == 400
    assert client.post(url, {"decision": "reject", "comment": "Exams that week"}).status_code == 200
    change.refresh_from_db()
    assert change.status == "rejected"


def test_tampered_link_is_invalid(client, pending):
    _change, approval = pending
    token = token_of(approval)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(reverse("links:change-approval", args=[forged])).status_code == 400
    other_nonce = approval_token(pk=approval.pk, nonce="not-the-nonce")
    assert client.post(reverse("links:change-approval", args=[other_nonce]),
                       {"decision": "approve"}).status_code == 400


def test_expired_link(client, pending, now):
    change, approval = pending
    # The link expires LINK_LIFETIME after the request (the approval step's `created_at`).
    Approval.objects.filter(pk=approval.pk).update(created_at=now - LINK_LIFETIME - timedelta(minutes=1))
    response = client.post(reverse("links:change-approval", args=[token_of(approval)]), {"decision": "approve"})
    assert response.status_code == 410
    change.refresh_from_db()
    assert change.status == "customer_approval"


def test_link_of_a_change_decided_in_the_portal_is_used(client, pending, approver_a, now):
    from changes.services import change_transition

    change, approval = pending
    change_transition(change_id=change.pk, actor=approver_a, action="approve", now=now)
    assert client.get(reverse("links:change-approval", args=[token_of(approval)])).status_code == 410


def test_unsent_approval_mails_are_swept_once(pending, now):
    from changes.services import customer_approvals_send_due

    assert customer_approvals_send_due(now=now) == 1
    assert customer_approvals_send_due(now=now) == 0
    assert len(mail.outbox) == 1


def test_a_title_with_a_line_break_never_stops_the_approval_sweep(make_change, now, monkeypatch):
    """Issue #11 finding 3: CR/LF in a title gave an uncaught ValueError that aborted the sweep."""
    from changes.models import Change
    from changes.services import customer_approvals_send_due

    first = make_change(status="customer_approval")
    Change.objects.filter(pk=first.pk).update(title="Core switch\r\nBcc: evil@example.com")
    second = make_change(status="customer_approval")
    assert customer_approvals_send_due(now=now) == 2
    subjects = [m.subject for m in mail.outbox]
    assert len(subjects) == 2 and all("\n" not in s and "\r" not in s for s in subjects)
    assert any("Core switch Bcc: evil@example.com" in s for s in subjects)
    assert all(m.bcc == [] for m in mail.outbox)
    # A record that breaks for any other reason is logged and skipped; the next one still goes.
    Approver.objects.update(emailed_at=None)  # the link rows of the approval steps
    mail.outbox.clear()
    real_send = __import__("changes.services", fromlist=["ticket_mail_send"]).ticket_mail_send

    def flaky(subject, *args, **kwargs):
        if first.number in subject:
            raise RuntimeError("boom")
        return real_send(subject, *args, **kwargs)

    monkeypatch.setattr("changes.services.ticket_mail_send", flaky)
    assert customer_approvals_send_due(now=now) == 2
    assert [second.number in m.subject for m in mail.outbox] == [True]
    assert CustomerApproval.objects.of_change(first).get().emailed_at is None
