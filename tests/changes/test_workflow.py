"""Every workflow rule of changes: routes per type, refused moves, CAB quorum/all/emergency,
customer approval, scheduling conflicts, implementation outcomes, review and close."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from accounts.choices import Role
from changes.choices import ApprovalState, CABRule, ChangeType
from changes.models import CAB, CABVote, Change, CustomerApproval, FreezeWindow
from changes.services import change_transition, change_update
from changes.workflow import CHANGE_WORKFLOW
from opsdesk.errors import ConflictError, TransitionNotAllowed
from tests.factories import CIFactory, CustomerFactory, UserFactory
from tickets.choices import EventAction
from tickets.models import TicketEvent

from .conftest import NORMAL_PATH

pytestmark = pytest.mark.django_db


def events(change: Change) -> list[str]:
    return list(TicketEvent.objects.filter(ticket_kind="change", ticket_id=change.pk).values_list("action", flat=True))


def test_normal_change_walks_the_whole_route(make_change):
    change = make_change(status="closed")
    assert change.number.startswith("CHG-")
    assert change.closed_at and change.implemented_at and change.scheduled_at and change.customer_approved_at
    assert change.review.outcome == "successful"
    acts = events(change)
    assert acts.count(EventAction.VOTED) == 2 and EventAction.APPROVED in acts and EventAction.REVIEWED in acts


@pytest.mark.parametrize("status", list(NORMAL_PATH))
def test_only_the_table_actions_are_allowed(make_change, status, manager, engineer):
    change = make_change(status=status)
    allowed = {t.action for t in CHANGE_WORKFLOW.transitions if change.status in t.sources}
    for action in CHANGE_WORKFLOW.actions:
        if action in allowed:
            continue
        with pytest.raises(TransitionNotAllowed):
            change_transition(change_id=change.pk, actor=manager, action=action, payload={"reason": "x"},
                              now=change.reported_at)


def test_submit_needs_plans_window_cis_and_risk(engineer, org_a, approver_a, now):
    from changes.services import change_create

    change = change_create(actor=engineer, organization=org_a, title="Bare", now=now)
    with pytest.raises(ValidationError) as exc:
        change_transition(change_id=change.pk, actor=engineer, action="submit", now=now)
    assert {"reason", "implementation_plan", "backout_plan", "risk_answers", "planned_start", "cis"} <= set(
        exc.value.message_dict)


def test_submit_without_anyone_to_approve_is_refused(make_change, org_b, engineer, now):
    change = make_change(organization=org_b)  # no portal user, no contact
    with pytest.raises(ValidationError) as exc:
        change_transition(change_id=change.pk, actor=engineer, action="submit", now=now)
    assert "contact" in exc.value.message_dict


def test_customers_cannot_move_a_change_forward(make_change, approver_a, now):
    change = make_change(status="draft")
    with pytest.raises(TransitionNotAllowed):
        change_transition(change_id=change.pk, actor=approver_a, action="submit", now=now)


def test_stale_version_is_a_conflict(make_change, engineer, now):
    change = make_change()
    with pytest.raises(ConflictError):
        change_transition(change_id=change.pk, actor=engineer, action="submit", version=change.version - 1, now=now)


# --- CAB -----------------------------------------------------------------------------------------

def test_quorum_decides_after_enough_approvals(make_change, cab, lead, analyst, now):
    change = make_change(status="cab_approval")
    change = change_transition(change_id=change.pk, actor=lead, action="approve", payload={"comment": "ok"}, now=now)
    assert change.status == "cab_approval"
    change = change_transition(change_id=change.pk, actor=analyst, action="approve", now=now)
    assert change.status == "customer_approval"
    assert CustomerApproval.objects.of_change(change).get().state == ApprovalState.PENDING


def test_rule_all_waits_for_every_member(make_change, cab, lead, analyst, manager, now):
    cab.rule = CABRule.ALL
    cab.save()
    change = make_change(status="cab_approval")
    for member in (lead, analyst):
        change = change_transition(change_id=change.pk, actor=member, action="approve", now=now)
    assert change.status == "cab_approval"
    change = change_transition(change_id=change.pk, actor=manager, action="approve", now=now)
    assert change.status == "customer_approval"


def test_any_reject_rejects_and_needs_a_reason(make_change, lead, analyst, now):
    change = make_change(status="cab_approval")
    change_transition(change_id=change.pk, actor=lead, action="approve", now=now)
    with pytest.raises(ValidationError):
        change_transition(change_id=change.pk, actor=analyst, action="reject", now=now)
    change = change_transition(change_id=change.pk, actor=analyst, action="reject", payload={"reason": "too risky"},
                               now=now)
    assert change.status == "rejected" and change.reject_reason == "too risky"


def test_a_member_votes_once_and_outsiders_not_at_all(make_change, lead, engineer, now):
    change = make_change(status="cab_approval")
    change_transition(change_id=change.pk, actor=lead, action="approve", now=now)
    with pytest.raises(TransitionNotAllowed):
        change_transition(change_id=change.pk, actor=lead, action="approve", now=now)
    with pytest.raises(TransitionNotAllowed):
        change_transition(change_id=change.pk, actor=engineer, action="approve", now=now)
    assert CABVote.objects.of_change(change).count() == 1


def test_rework_after_rejection_opens_a_new_round(make_change, lead, analyst, manager, engineer, now):
    change = make_change(status="cab_approval")
    change_transition(change_id=change.pk, actor=lead, action="reject", payload={"reason": "plan thin"}, now=now)
    change = change_transition(change_id=change.pk, actor=engineer, action="rework", now=now)
    assert change.status == "draft"
    change_update(change_id=change.pk, actor=engineer, version=change.version,
                  changes={"backout_plan": "Restore the saved config."}, now=now)
    for action, actor in (("submit", engineer), ("assess", manager), ("request_approval", manager)):
        change = change_transition(change_id=change.pk, actor=actor, action=action, now=now)
    assert change.cab_round == 2
    change = change_transition(change_id=change.pk, actor=lead, action="approve", now=now)  # lead votes again
    change = change_transition(change_id=change.pk, actor=analyst, action="approve", now=now)
    assert change.status == "customer_approval"


def test_emergency_change_goes_to_the_emergency_cab_and_is_flagged_for_review(
        make_change, emergency_cab, engineer, lead, now):
    change = make_change(type=ChangeType.EMERGENCY)
    assert change.review_required
    change = change_transition(change_id=change.pk, actor=engineer, action="submit", now=now)
    assert change.status == "cab_approval" and change.cab == emergency_cab
    change = change_transition(change_id=change.pk, actor=lead, action="approve", now=now)
    assert change.status == "customer_approval"


def test_emergency_change_without_an_emergency_cab_is_refused(make_change, engineer, now):
    change = make_change(type=ChangeType.EMERGENCY)
    with pytest.raises(ValidationError) as exc:
        change_transition(change_id=change.pk, actor=engineer, action="submit", now=now)
    assert "cab" in exc.value.message_dict


def test_standard_change_skips_assessment_and_cab(make_change, template, engineer, now):
    change = make_change(type=ChangeType.STANDARD, template=template, risk_answers=None)
    change = change_transition(change_id=change.pk, actor=engineer, action="submit", now=now)
    assert change.status == "customer_approval" and not CABVote.objects.exists()


def test_standard_change_pre_approved_by_the_customer_is_approved_at_once(make_change, template, engineer, now):
    template.customer_preapproved = True
    template.save()
    change = make_change(type=ChangeType.STANDARD, template=template, risk_answers=None)
    change = change_transition(change_id=change.pk, actor=engineer, action="submit", now=now)
    assert change.status == "approved" and not CustomerApproval.objects.exists()


def test_standard_change_needs_a_template(make_change):
    with pytest.raises(ValidationError):
        make_change(type=ChangeType.STANDARD)


# --- customer approval -----------------------------------------------------------------------------

def test_only_the_organisations_customers_answer(make_change, customer_b, lead, org_a, now):
    change = make_change(status="customer_approval")
    with pytest.raises(Change.DoesNotExist):
        change_transition(change_id=change.pk, actor=customer_b, action="approve", now=now)
    with pytest.raises(TransitionNotAllowed):  # staff cannot answer for the customer
        change_transition(change_id=change.pk, actor=lead, action="approve", now=now)
    colleague = CustomerFactory(organization=org_a)
    change = change_transition(change_id=change.pk, actor=colleague, action="approve", now=now)
    assert change.status == "approved"
    approval = CustomerApproval.objects.of_change(change).get()
    assert approval.state == "approved" and approval.decided_by == colleague and approval.decided_via == "portal"


def test_customer_rejection(make_change, approver_a, now):
    change = make_change(status="customer_approval")
    change = change_transition(change_id=change.pk, actor=approver_a, action="reject",
                               payload={"reason": "Not during exams"}, now=now)
    assert change.status == "rejected"
    assert CustomerApproval.objects.of_change(change).get().state == "rejected"


def test_the_approved_change_is_frozen(make_change, engineer, now):
    change = make_change(status="approved")
    with pytest.raises(ValidationError):
        change_update(change_id=change.pk, actor=engineer, version=None, changes={"title": "Other"}, now=now)


def test_cancel_withdraws_the_pending_approval(make_change, engineer, now):
    change = make_change(status="customer_approval")
    change = change_transition(change_id=change.pk, actor=engineer, action="cancel", payload={"reason": "obsolete"},
                               now=now)
    assert change.status == "cancelled"
    assert CustomerApproval.objects.of_change(change).get().state == "withdrawn"


# --- scheduling and conflicts ----------------------------------------------------------------------

def test_blocking_freeze_window_refuses_scheduling_and_a_manager_may_override(make_change, lead, manager, now):
    change = make_change(status="approved")
    FreezeWindow.objects.create(name="Gaokao", start=change.planned_start - timedelta(hours=1),
                                end=change.planned_end + timedelta(days=1), blocking=True)
    with pytest.raises(TransitionNotAllowed) as exc:
        change_transition(change_id=change.pk, actor=lead, action="schedule", now=now)
    assert "Gaokao" in str(exc.value)
    with pytest.raises(TransitionNotAllowed):  # a lead may not override, even with a reason
        change_transition(change_id=change.pk, actor=lead, action="schedule",
                          payload={"override_reason": "urgent"}, now=now)
    change = change_transition(change_id=change.pk, actor=manager, action="schedule",
                               payload={"override_reason": "Security fix cannot wait"}, now=now)
    assert change.status == "scheduled" and change.conflict_override_by == manager


def test_warning_freeze_window_only_warns(make_change, manager, now):
    change = make_change(status="approved")
    FreezeWindow.objects.create(name="Festival", start=change.planned_start, end=change.planned_end, blocking=False)
    change = change_transition(change_id=change.pk, actor=manager, action="schedule", now=now)
    assert change.status == "scheduled"
    event = TicketEvent.objects.filter(ticket_kind="change", ticket_id=change.pk).last()
    assert event.data["conflicts"][0]["kind"] == "freeze"


def test_schedule_refuses_a_window_that_has_passed(make_change, manager, now):
    change = make_change(status="approved", start=now - timedelta(hours=5))
    with pytest.raises(ValidationError):
        change_transition(change_id=change.pk, actor=manager, action="schedule", now=now)


# --- implementation, review, close -----------------------------------------------------------------

def test_failed_change_opens_a_linked_incident(make_change, engineer, now):
    change = make_change(status="implementing")
    change = change_transition(change_id=change.pk, actor=engineer, action="fail",
                               payload={"reason": "switch did not boot", "open_incident": True}, now=now)
    link = change.incident_links.get()
    assert link.relation == "opened_on_failure" and link.incident.organization_id == change.organization_id
    assert "switch did not boot" in link.incident.description


def test_a_failed_change_cannot_be_reviewed_as_successful(make_change, manager, now):
    change = make_change(status="failed")
    with pytest.raises(ValidationError):
        change_transition(change_id=change.pk, actor=manager, action="review",
                          payload={"outcome": "successful", "notes": "x"}, now=now)
    change = change_transition(change_id=change.pk, actor=manager, action="review",
                               payload={"outcome": "unsuccessful", "notes": "firmware bug"}, now=now)
    assert change.status == "review"


def test_engineers_cannot_assess_or_schedule(make_change, engineer, now):
    change = make_change(status="submitted")
    with pytest.raises(TransitionNotAllowed):
        change_transition(change_id=change.pk, actor=engineer, action="assess", now=now)


def test_assess_may_raise_the_risk_with_a_reason(make_change, manager, now):
    change = make_change(status="submitted")
    with pytest.raises(ValidationError):
        change_transition(change_id=change.pk, actor=manager, action="assess", payload={"risk": "high"}, now=now)
    change = change_transition(change_id=change.pk, actor=manager, action="assess",
                               payload={"risk": "high", "reason": "core network"}, now=now)
    assert change.risk == "high"


def test_inactive_cab_member_does_not_count(make_change, cab, lead, analyst, manager, now):
    cab.rule = CABRule.ALL
    cab.save()
    manager.is_active = False
    manager.save()
    change = make_change(status="cab_approval")
    for member in (lead, analyst):
        change = change_transition(change_id=change.pk, actor=member, action="approve", now=now)
    assert change.status == "customer_approval"


def test_cab_without_members_is_refused(make_change, manager, now):
    empty = CAB.objects.create(name="Empty")
    change = make_change(status="submitted")
    with pytest.raises(ValidationError):
        change_transition(change_id=change.pk, actor=manager, action="assess", payload={"cab": empty.pk}, now=now)


def test_other_organisations_ci_is_refused(make_change, org_b):
    with pytest.raises(ValidationError) as exc:
        make_change(cis=[CIFactory(organization=org_b)])
    assert "cis" in exc.value.message_dict


def test_roles_of_the_table(db):
    UserFactory(role=Role.OPERATOR)
    assert "submit" in CHANGE_WORKFLOW.actions


def test_closing_a_successful_change_fixes_its_problems(make_change, engineer, org_a, now):
    from problems.services import problem_create

    problem = problem_create(actor=engineer, organization=org_a, title="Switch reboots weekly", now=now)
    change = make_change(status="closed", problems=[problem])
    problem.refresh_from_db()
    assert problem.status == "resolved" and problem.fix_change_number == change.number


def test_a_failed_change_fixes_nothing(make_change, engineer, manager, org_a, now):
    from problems.services import problem_create

    problem = problem_create(actor=engineer, organization=org_a, title="Switch reboots weekly", now=now)
    change = make_change(status="failed", problems=[problem])
    for action, payload in (("review", {"outcome": "unsuccessful", "notes": "bug"}), ("close", {})):
        change = change_transition(change_id=change.pk, actor=manager, action=action, payload=payload, now=now)
    problem.refresh_from_db()
    assert change.status == "closed" and problem.status != "resolved"
