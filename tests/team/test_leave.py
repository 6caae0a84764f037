"""The leave approval chain on the kernel's approval step: the company lead, then the customer
within two working days of the customer's calendar (over New Year's Day), reminded and escalated
when overdue; on approval the stand-in is on the roster and the open incidents are handed over."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from duty.choices import DutyRole
from duty.models import DutyMember, DutyRule
from duty.selectors import duty_on_now
from incidents.services import incident_create, incident_transition
from team.choices import LeaveStatus
from team.models import HandoverItem, LeaveRequest
from team.services import leave_create, leave_transition
from tests.factories import CustomerFactory
from tests.kernel.test_created_with_head import assert_created_with_head
from tickets.approvals import approval_decide, approval_pending, approvals_sweep
from tickets.models import CalendarDay, SLAPolicy, TicketEvent, WorkCalendar

from .conftest import sh


@pytest.fixture
def customer_calendar(org_a):
    cal = WorkCalendar.objects.create(code="org-a-cal", name="Org A calendar")
    CalendarDay.objects.create(calendar=cal, date=date(2027, 1, 1), kind="holiday", name="New Year")
    SLAPolicy.objects.create(name="Org A", organization=org_a, calendar=cal)
    return cal


def test_leave_is_written_with_its_head_and_its_hand_over(crew, org_a, operator):
    """The leave row carries its "created" event's head from its insert; the hand-over items, built
    before the leave had an id, are written after it with that id."""
    t0 = sh(2026, 12, 28, 10, 0)
    eng, mate = crew["eng"], crew["mate"]
    inc = incident_create(actor=operator, organization=org_a, title="Switch", now=t0)
    incident_transition(incident_id=inc.pk, actor=crew["dispatcher"], action="assign",
                        payload={"assignee": eng.pk, "group": crew["group"].pk}, now=t0)
    with CaptureQueriesContext(connection) as ctx:
        leave = leave_create(actor=eng, engineer=eng, organization=org_a, starts_at=sh(2027, 1, 11, 9),
                             ends_at=sh(2027, 1, 12, 18), stand_in=mate, handover=[(inc, mate)],
                             duties=[("Backup check", mate)], now=t0)
    event = assert_created_with_head(LeaveRequest, leave, ctx.captured_queries)
    items = list(HandoverItem.objects.filter(leave_id=leave.pk).order_by("pk").values_list("incident_id", "duty",
                                                                                           "to_user_id"))
    assert items == [(inc.pk, "", mate.pk), (None, "Backup check", mate.pk)]
    assert event.data["handover"] == [list(item) for item in items]


def test_company_then_customer_within_two_working_days_over_a_holiday(crew, org_a, operator, customer_calendar):
    t0 = sh(2026, 12, 31, 10, 0)  # Thursday; Friday 1 January is a holiday, then the weekend
    eng, mate, lead = crew["eng"], crew["mate"], crew["lead"]
    inc = incident_create(actor=operator, organization=org_a, title="Printer", now=t0 - timedelta(days=1))
    incident_transition(incident_id=inc.pk, actor=crew["dispatcher"], action="assign",
                        payload={"assignee": eng.pk, "group": crew["group"].pk}, now=t0 - timedelta(days=1))
    rule = DutyRule.objects.create(group=crew["group"], role=DutyRole.PRIMARY, starts_at=t0 - timedelta(days=30))
    DutyMember.objects.create(rule=rule, user=eng)

    with pytest.raises(ValidationError) as missing:
        leave_create(actor=eng, engineer=eng, organization=org_a, starts_at=sh(2027, 1, 11, 9), ends_at=sh(2027, 1, 15, 18),
                     stand_in=mate, now=t0)
    assert "handover" in missing.value.message_dict  # the open incident must be in the plan
    leave = leave_create(actor=eng, engineer=eng, organization=org_a, starts_at=sh(2027, 1, 11, 9),
                         ends_at=sh(2027, 1, 15, 18), stand_in=mate, handover=[(inc, mate)],
                         duties=[("Monthly inspection round, site B", mate)], now=t0)
    leave = leave_transition(leave_id=leave.pk, actor=eng, action="submit", now=t0)
    assert leave.status == LeaveStatus.COMPANY_APPROVAL
    company = approval_pending(ticket=leave)
    assert list(company.approvers.values_list("user_id", flat=True)) == [lead.pk]
    with pytest.raises(ValidationError):
        approval_decide(approval_id=company.pk, actor=crew["customer"], decision="approve", now=t0)

    leave = approval_decide(approval_id=company.pk, actor=lead, decision="approve", now=t0)
    assert leave.status == LeaveStatus.CUSTOMER_APPROVAL
    customer_step = approval_pending(ticket=leave)
    # Two working days: Thu 10:00-18:00 (6.5 h), Mon 4 Jan (7.5 h), Tue 5 Jan 1 h → Tue 10:00.
    assert customer_step.due_at == sh(2027, 1, 5, 10, 0)
    assert approvals_sweep(now=sh(2027, 1, 5, 9, 59)).reminded == 0
    assert approvals_sweep(now=sh(2027, 1, 5, 10, 1)).reminded == 1
    result = approvals_sweep(now=sh(2027, 1, 6, 10, 1))
    assert result.escalated == 1
    escalated = TicketEvent.objects.get(ticket_kind="leave", ticket_id=leave.pk, action="approval_escalated")
    assert escalated.data["escalate_to"] == crew["manager"].pk

    outsider = CustomerFactory(username="other_customer")
    with pytest.raises(Exception):  # noqa: B017 - another organisation's customer: does not exist
        approval_decide(approval_id=customer_step.pk, actor=outsider, decision="approve", now=t0)
    t1 = sh(2027, 1, 6, 11, 0)
    leave = approval_decide(approval_id=customer_step.pk, actor=crew["customer"], decision="approve", now=t1)
    assert leave.status == LeaveStatus.APPROVED

    inc.refresh_from_db()
    assert inc.assignee_id == mate.pk
    assert TicketEvent.objects.filter(ticket_kind="incident", ticket_id=inc.pk, action="transition",
                                      data__action="assign").count() == 2
    assert leave.handover.filter(done_at__isnull=True).count() == 0
    # The roster: the stand-in during the leave, the engineer again afterwards.
    assert [d.name for d in duty_on_now(crew["group"], at=sh(2027, 1, 12, 3, 0))] == ["Zhao Liu"]
    assert [d.kind for d in duty_on_now(crew["group"], at=sh(2027, 1, 12, 3, 0))] == ["leave"]
    assert [d.name for d in duty_on_now(crew["group"], at=sh(2027, 1, 16, 3, 0))] == ["Wang Wu"]


def test_rejection_needs_a_reason_and_only_the_engineer_or_a_manager_asks(crew, org_a, now):
    eng, mate = crew["eng"], crew["mate"]
    with pytest.raises(PermissionDenied):
        leave_create(actor=mate, engineer=eng, organization=org_a, starts_at=now + timedelta(days=3),
                     ends_at=now + timedelta(days=4), stand_in=mate, now=now)
    leave = leave_create(actor=crew["manager"], engineer=eng, organization=org_a, starts_at=now + timedelta(days=3),
                         ends_at=now + timedelta(days=4), stand_in=mate, now=now)
    leave = leave_transition(leave_id=leave.pk, actor=eng, action="submit", now=now)
    company = approval_pending(ticket=leave)
    with pytest.raises(ValidationError):
        approval_decide(approval_id=company.pk, actor=crew["lead"], decision="reject", now=now)
    leave = approval_decide(approval_id=company.pk, actor=crew["lead"], decision="reject", comment="Peak season",
                            now=now)
    assert leave.status == LeaveStatus.REJECTED
    assert DutyRule.objects.filter(kind="leave").count() == 0
