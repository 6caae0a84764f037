"""A new ticket kind built from the kernel alone (tests/demo_kind: a model, a workflow table and
its effects): transitions, the hash-chained history, approvals (sequential and quorum, portal and
signed link, reminders and escalation), the timeline, attachments and tenancy — no other code."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from opsdesk.errors import ConflictError, TransitionNotAllowed
from tests.demo_kind.models import DemoTicket
from tests.demo_kind.services import demo_create, demo_transition
from tests.factories import ContactFactory, CustomerFactory, OrganizationFactory, UserFactory
from tickets.approvals import (
    ApprovalLinkInvalid,
    approval_decide,
    approval_decide_by_link,
    approval_pending,
    approval_token,
    approvals_sweep,
    is_pending_approver,
)
from tickets.audit import chain_verify
from tickets.models import Approval, TicketEvent
from tickets.selectors import ticket_timeline
from tickets.services import ticket_attachment_add, ticket_comment_add
from tickets.transitions import ACTOR_SIGNED_LINK, ACTOR_SYSTEM, SystemActor

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return OrganizationFactory(name="Demo org", code="demo-org")


@pytest.fixture
def staff():
    return UserFactory(username="demo-engineer", role="engineer")


@pytest.fixture
def boss1():
    return UserFactory(username="boss1", role="regional_lead")


@pytest.fixture
def boss2():
    return UserFactory(username="boss2", role="manager")


@pytest.fixture
def customer(org):
    return CustomerFactory(username="demo-cust", organization=org)


@pytest.fixture
def submitted(org, staff, boss1, boss2, now):
    ticket = demo_create(actor=staff, organization=org, title="Leave 12–14 Dec", now=now)
    return demo_transition(ticket_id=ticket.pk, actor=staff, action="submit", now=now,
                           payload={"company_approvers": [boss1, boss2]})


def _actions(ticket):
    return list(TicketEvent.objects.filter(ticket_kind="demo", ticket_id=ticket.pk).order_by("seq")
                .values_list("action", flat=True))


def test_company_then_customer_approval_moves_the_ticket(submitted, boss1, boss2, customer, now):
    assert submitted.status == "company_approval" and submitted.version == 2
    company = approval_pending(ticket=submitted, stage="company")
    assert company.due_at is not None and company.due_at > now and company.escalate_at > company.due_at
    # Sequential: boss2 waits for boss1.
    assert is_pending_approver(submitted, boss1) and not is_pending_approver(submitted, boss2)
    with pytest.raises(ValidationError):
        approval_decide(approval_id=company.pk, actor=boss2, decision="approve", now=now)
    ticket = approval_decide(approval_id=company.pk, actor=boss1, decision="approve", now=now)
    assert ticket.status == "company_approval"  # rule "all": one of two is not enough
    ticket = approval_decide(approval_id=company.pk, actor=boss2, decision="approve", now=now)
    assert ticket.status == "customer_approval"
    customer_step = approval_pending(ticket=ticket, stage="customer")
    assert customer_step is not None and Approval.objects.get(pk=company.pk).state == "approved"
    ticket = approval_decide(approval_id=customer_step.pk, actor=customer, decision="approve", now=now)
    assert ticket.status == "approved" and ticket.approved_at == now
    assert _actions(ticket) == ["created", "approval_requested", "transition", "approval_decided",
                                "approval_decided", "approval_requested", "transition", "approval_decided",
                                "transition"]
    assert list(chain_verify(ticket_model=DemoTicket)) == []


def test_the_table_cannot_skip_the_approvers(submitted, boss1, now):
    with pytest.raises(TransitionNotAllowed) as refused:
        demo_transition(ticket_id=submitted.pk, actor=boss1, action="approve", now=now)
    assert "approve" not in refused.value.allowed


def test_rejection_needs_a_reason_and_rejects(submitted, boss1, now):
    company = approval_pending(ticket=submitted)
    with pytest.raises(ValidationError):
        approval_decide(approval_id=company.pk, actor=boss1, decision="reject", now=now)
    ticket = approval_decide(approval_id=company.pk, actor=boss1, decision="reject", comment="Busy week", now=now)
    assert ticket.status == "rejected" and ticket.rejected_at == now
    event = TicketEvent.objects.filter(ticket_kind="demo", ticket_id=ticket.pk, action="transition").last()
    assert event.data["status"] == ["company_approval", "rejected"] and event.data["reason"] == "Busy week"


def test_contact_decides_by_signed_single_use_link(org, staff, boss1, now):
    contact = ContactFactory(organization=org, name="Ms Li", email="li@example.com")
    ticket = demo_create(actor=staff, organization=org, title="Drill", contact=contact, now=now)
    ticket = demo_transition(ticket_id=ticket.pk, actor=staff, action="submit", now=now,
                             payload={"company_approvers": [boss1]})
    approval_decide(approval_id=approval_pending(ticket=ticket).pk, actor=boss1, decision="approve", now=now)
    step = approval_pending(ticket=ticket, stage="customer")
    approver = step.approvers.get(email="li@example.com")
    token = approval_token(approver)
    ticket = approval_decide_by_link(token=token, decision="approve", now=now)
    assert ticket.status == "approved"
    event = TicketEvent.objects.filter(ticket_kind="demo", ticket_id=ticket.pk, action="approval_decided").last()
    assert event.actor_id is None and event.data["via"] == "link" and event.data["by"] == "Ms Li"
    with pytest.raises(ApprovalLinkInvalid) as used:
        approval_decide_by_link(token=token, decision="approve", now=now)
    assert used.value.reason == "used"
    with pytest.raises(ApprovalLinkInvalid):
        approval_decide_by_link(token=token + "x", decision="approve", now=now)


def test_system_and_link_actors_take_only_what_the_table_names(submitted, staff, now):
    ticket = DemoTicket.objects.get(pk=submitted.pk)
    DemoTicket.objects.filter(pk=ticket.pk).update(status="approved")  # test set-up only
    with pytest.raises(TransitionNotAllowed):
        demo_transition(ticket_id=ticket.pk, actor=staff, action="auto_done", now=now)
    with pytest.raises(TransitionNotAllowed):
        demo_transition(ticket_id=ticket.pk, actor=SystemActor(actor_kind=ACTOR_SIGNED_LINK), action="auto_done",
                        now=now)
    done = demo_transition(ticket_id=ticket.pk, actor=SystemActor(actor_kind=ACTOR_SYSTEM), action="auto_done",
                           now=now)
    assert done.status == "done"
    assert TicketEvent.objects.filter(ticket_kind="demo", ticket_id=done.pk, action="transition").last().actor_id is None


def test_stale_version_conflicts_and_tenancy_hides(org, staff, now):
    ticket = demo_create(actor=staff, organization=org, title="T", now=now)
    with pytest.raises(ConflictError):
        demo_transition(ticket_id=ticket.pk, actor=staff, action="submit", version=ticket.version + 1, now=now,
                        payload={"company_approvers": [staff]})
    stranger = CustomerFactory(username="other-cust", organization=OrganizationFactory(code="other"))
    with pytest.raises(DemoTicket.DoesNotExist):
        demo_transition(ticket_id=ticket.pk, actor=stranger, action="finish", now=now)
    assert DemoTicket.objects.visible_to(stranger).filter(pk=ticket.pk).count() == 0
    with pytest.raises(PermissionDenied):
        ticket_comment_add(ticket=ticket, author=stranger, body="hi", public=True, now=now)


def test_stranger_cannot_decide_an_approval(submitted, now):
    stranger = CustomerFactory(username="other-cust2", organization=OrganizationFactory(code="other2"))
    with pytest.raises(DemoTicket.DoesNotExist):
        approval_decide(approval_id=approval_pending(ticket=submitted).pk, actor=stranger, decision="approve",
                        now=now)


def test_overdue_approvals_are_reminded_then_escalated_once(org, staff, boss1, now):
    ticket = demo_create(actor=staff, organization=org, title="T", now=now)
    ticket = demo_transition(ticket_id=ticket.pk, actor=staff, action="submit", now=now,
                             payload={"company_approvers": [boss1]})
    step = approval_pending(ticket=ticket)
    Approval.objects.filter(pk=step.pk).update(escalate_to=staff)
    assert approvals_sweep(now=now).reminded == 0
    later = step.due_at + timedelta(minutes=1)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("django.db.transaction.on_commit", lambda fn, robust=False: fn())
        mp.setattr("notifications.services._queue_send", lambda delivery_id: None)  # no broker here
        first = approvals_sweep(now=later)
        again = approvals_sweep(now=later)
        assert (first.reminded, first.escalated, again.reminded) == (1, 0, 0)
        final = approvals_sweep(now=step.escalate_at + timedelta(minutes=1))
        assert (final.reminded, final.escalated) == (0, 1)
        assert approvals_sweep(now=step.escalate_at + timedelta(days=1)).escalated == 0
    # Through the notifications app (opsdesk.signals.approval_notice): in-app and e-mail by its rules.
    from notifications.models import Delivery, Notification

    assert list(Notification.objects.order_by("pk").values_list("user_id", "event")) == [
        (boss1.pk, "approval.reminder"), (staff.pk, "approval.escalation")]
    assert list(Delivery.objects.filter(channel__kind="email").order_by("pk").values_list("address", flat=True)) == [
        boss1.email, staff.email]
    assert _actions(ticket)[-2:] == ["approval_reminded", "approval_escalated"]
    assert list(chain_verify(ticket_model=DemoTicket)) == []


def test_timeline_and_attachments_work_for_the_new_kind(org, staff, customer, now):
    ticket = demo_create(actor=staff, organization=org, title="T", now=now)
    ticket_comment_add(ticket=ticket, author=customer, body="Please hurry", public=False, now=now)
    ticket_attachment_add(ticket=ticket, author=staff, upload=SimpleUploadedFile("plan.txt", b"plan"), public=False,
                          now=now)
    staff_view = ticket_timeline(user=staff, ticket=ticket)
    customer_view = ticket_timeline(user=customer, ticket=ticket)
    assert len(staff_view) == 5 and len(customer_view) == 3  # created + comment (+ events) vs the private file
    assert list(chain_verify(ticket_model=DemoTicket)) == []


def test_approval_selectors(submitted, boss1, boss2, customer, now):
    from tickets.selectors import approval_list_for_ticket, approval_list_waiting_for

    company = approval_pending(ticket=submitted)
    assert list(approval_list_waiting_for(user=boss1)) == [company]
    approval_decide(approval_id=company.pk, actor=boss1, decision="approve", now=now)
    assert list(approval_list_waiting_for(user=boss1)) == [] and list(approval_list_waiting_for(user=boss2)) == [company]
    assert list(approval_list_for_ticket(user=boss1, ticket=submitted)) == [company]
    assert list(approval_list_for_ticket(user=customer, ticket=submitted)) == []  # not asked: not shown


def test_link_from_the_email_opens_the_shared_approval_page(org, staff, boss1, now, client,
                                                            django_capture_on_commit_callbacks):
    """The e-mailed link leads to the portal's approval page for any kind; it works once."""
    import re
    from urllib.parse import urlsplit

    contact = ContactFactory(organization=org, name="Ms Li", email="li@example.com")
    ticket = demo_create(actor=staff, organization=org, title="Drill <b>night</b>", contact=contact, now=now)
    ticket = demo_transition(ticket_id=ticket.pk, actor=staff, action="submit", now=now,
                             payload={"company_approvers": [boss1]})
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        approval_decide(approval_id=approval_pending(ticket=ticket).pk, actor=boss1, decision="approve", now=now)
    [message] = [m for m in mail.outbox if m.to == ["li@example.com"]]
    path = urlsplit(re.search(r"https?://\S+", message.body).group(0)).path
    assert path.startswith("/r/approval/")
    page = client.get(path)
    body = page.content.decode()
    assert page.status_code == 200 and ticket.number in body and "<b>night</b>" not in body
    assert client.post(path, {"decision": "reject", "comment": ""}).status_code == 400  # a rejection needs a reason
    assert client.post(path, {"decision": "approve", "comment": "", "name": "Li"}).status_code == 200
    assert DemoTicket.objects.get(pk=ticket.pk).status == "approved"
    assert client.get(path).status_code >= 400  # used: the link works once


def test_without_a_notifications_subscriber_reminders_are_plain_mail(org, staff, boss1, now):
    """tickets does not depend on notifications: with nobody subscribed to the hook, the approvers
    still get the reminder by e-mail."""
    from notifications.approvals import approval_notice_receive
    from opsdesk.signals import approval_notice

    ticket = demo_create(actor=staff, organization=org, title="T", now=now)
    ticket = demo_transition(ticket_id=ticket.pk, actor=staff, action="submit", now=now,
                             payload={"company_approvers": [boss1]})
    step = approval_pending(ticket=ticket)
    assert approval_notice.disconnect(approval_notice_receive, dispatch_uid="notifications.approval_notice")
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr("django.db.transaction.on_commit", lambda fn, robust=False: fn())
            assert approvals_sweep(now=step.due_at + timedelta(minutes=1)).reminded == 1
    finally:
        approval_notice.connect(approval_notice_receive, dispatch_uid="notifications.approval_notice")
    assert [m.to for m in mail.outbox] == [[boss1.email]] and ticket.number in mail.outbox[0].subject
