"""The change's CAB review and customer approval are the kernel's approval step (issue #18): one
`tickets.Approval` per stage and round with `Approver` rows, due in working days of the
organisation's calendar, reminded and escalated by the one sweep through the notifications app;
CAB votes stay internal; the data migration turns the old rows into approval rows."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.urls import reverse

from changes.links import approval_token
from changes.models import CABVote, CustomerApproval, LegacyCABVote, LegacyCustomerApproval
from changes.services import (
    CAB_APPROVAL_WORKING_DAYS,
    CUSTOMER_APPROVAL_WORKING_DAYS,
    change_transition,
)
from notifications.models import Delivery, Notification
from tests.factories import CustomerFactory
from tickets.approvals import approval_decide, approval_due, approval_pending, approvals_sweep
from tickets.models import Approval, Approver
from tickets.selectors import ticket_timeline

pytestmark = pytest.mark.django_db


def test_a_cab_round_is_an_internal_approval_of_the_cabs_members(make_change, cab, lead, manager, analyst, now):
    change = make_change(status="cab_approval")
    step = approval_pending(ticket=change, stage="cab")
    assert step is not None and step.internal and step.round == change.cab_round == 1
    assert (step.rule, step.quorum) == ("quorum", 2)
    assert set(step.approvers.values_list("user_id", flat=True)) == {lead.pk, manager.pk, analyst.pk}
    assert step.due_at == approval_due(organization_id=change.organization_id, start=now,
                                       working_days=CAB_APPROVAL_WORKING_DAYS)
    assert step.escalate_to_id == change.assignee_id
    change = change_transition(change_id=change.pk, actor=lead, action="approve", payload={"comment": "cab-secret-ok"},
                               now=now)
    vote = CABVote.objects.of_change(change).get()
    assert (vote.member, vote.round, vote.decision, vote.comment) == (lead, 1, "approve", "cab-secret-ok")
    change = change_transition(change_id=change.pk, actor=analyst, action="approve", now=now)
    step.refresh_from_db()
    assert change.status == "customer_approval" and step.state == "approved"


def test_cab_votes_and_reasons_never_reach_the_customer(make_change, lead, approver_a, now):
    change = make_change(status="cab_approval")
    change_transition(change_id=change.pk, actor=lead, action="reject", payload={"reason": "cab-secret-reason"},
                      now=now)
    seen = " ".join(str(getattr(item, "data", "")) + str(getattr(item, "body", ""))
                    for item in ticket_timeline(user=approver_a, ticket=change))
    assert "cab-secret-reason" not in seen and "voted" not in seen


def test_the_customer_approval_asks_the_contact_by_link_and_every_portal_user(make_change, approver_a, org_a, now):
    colleague = CustomerFactory(organization=org_a)
    change = make_change(status="customer_approval")
    step = approval_pending(ticket=change, stage="customer")
    rows = list(step.approvers.order_by("position"))
    assert rows[0].user_id is None and rows[0].email == "zhao.min@example.com"  # the signed link's row
    assert {r.user_id for r in rows[1:]} == {approver_a.pk, colleague.pk}
    assert step.quorum == 1 and not step.internal
    assert step.due_at == approval_due(organization_id=org_a.pk, start=now,
                                       working_days=CUSTOMER_APPROVAL_WORKING_DAYS)
    # Deciding through the generic approval step moves the change like the portal does.
    moved = approval_decide(approval_id=step.pk, actor=colleague, decision="approve", comment="fine", now=now)
    assert moved.status == "approved"
    assert CustomerApproval.objects.of_change(change).get().decided_by == colleague


def test_overdue_approvals_are_reminded_through_the_notifications_app(
        make_change, approver_a, django_capture_on_commit_callbacks, now):
    change = make_change(status="customer_approval")
    step = approval_pending(ticket=change, stage="customer")
    with django_capture_on_commit_callbacks(execute=True):
        assert approvals_sweep(now=step.due_at + timedelta(minutes=1)).reminded == 1
    inbox = Notification.objects.get(user=approver_a, event="approval.reminder")
    assert change.number in inbox.title and inbox.link == ""  # a customer: no staff link
    mails = set(Delivery.objects.filter(event="approval.reminder", channel__kind="email")
                .values_list("address", flat=True))
    assert "zhao.min@example.com" in mails and approver_a.email in mails
    with django_capture_on_commit_callbacks(execute=True):
        assert approvals_sweep(now=step.escalate_at + timedelta(minutes=1)).escalated == 1
    owner = Notification.objects.get(event="approval.escalation")
    assert owner.user_id == change.assignee_id and owner.link == reverse("changes:detail", args=[change.pk])
    with django_capture_on_commit_callbacks(execute=True):
        again = approvals_sweep(now=step.escalate_at + timedelta(days=2))
    assert (again.reminded, again.escalated) == (0, 0)
    assert Notification.objects.filter(event__startswith="approval.").count() == 2


def _migration():
    return importlib.import_module("changes.migrations.0004_approvals_on_the_kernel")


def test_the_migration_moves_old_votes_and_approvals_onto_approval_rows(
        client, make_change, lead, analyst, manager, approver_a, now):
    """Rows as the old code wrote them: an open CAB round with one vote, and a pending customer
    approval whose link was e-mailed; after the migration both work as before."""
    voting = make_change(status="cab_approval")
    asking = make_change(status="customer_approval")
    for approval in Approval.objects.all():  # back to the state before the approval step held them
        approval.approvers.all().delete()
        approval.delete()
    LegacyCABVote.objects.create(change=voting, round=1, member=lead, decision="approve", comment="old vote",
                                 created_at=now)
    old = LegacyCustomerApproval.objects.create(change=asking, email="zhao.min@example.com", created_at=now,
                                                expires_at=now + timedelta(days=7), emailed_at=now)
    decided = LegacyCustomerApproval.objects.create(
        change=voting, state="rejected", email="zhao.min@example.com", created_at=now - timedelta(days=9),
        expires_at=now - timedelta(days=2), decided_at=now - timedelta(days=8), decided_by=approver_a,
        decided_by_name="Zhao Min", decided_via="portal", comment="Not in exam week")

    _migration().forwards(apps, None)

    step = approval_pending(ticket=voting, stage="cab")
    assert step.internal and step.round == 1
    vote = CABVote.objects.of_change(voting).get()
    assert (vote.member, vote.decision, vote.comment, vote.created_at) == (lead, "approve", "old vote", now)
    assert set(step.approvers.values_list("user_id", flat=True)) == {lead.pk, manager.pk, analyst.pk}
    history = CustomerApproval.objects.of_change(voting).get()
    assert (history.state, history.decided_by, history.decided_by_name, history.decided_via, history.comment) == (
        "rejected", approver_a, "Zhao Min", "portal", "Not in exam week")
    old.refresh_from_db()
    moved = CustomerApproval.objects.get(pk=old.migrated_to_id)
    assert (moved.state, moved.email, moved.nonce, moved.emailed_at) == ("pending", old.email, old.nonce, now)
    decided.refresh_from_db()
    assert decided.migrated_to_id is not None
    # The CAB's next vote decides the migrated round; the link e-mailed before still answers.
    voting = change_transition(change_id=voting.pk, actor=analyst, action="approve", now=now)
    assert voting.status == "customer_approval"
    response = client.post(reverse("links:change-approval", args=[approval_token(pk=old.pk, nonce=old.nonce)]),
                           {"decision": "approve", "comment": "", "name": "Zhao Min"})
    assert response.status_code == 200
    asking.refresh_from_db()
    assert asking.status == "approved"
    assert Approver.objects.get(approval=moved, user__isnull=True).decided_via == "link"
