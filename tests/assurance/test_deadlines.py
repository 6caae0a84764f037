"""Deadlines on the organisation's SLA calendar (the official 2026 National Day holiday: Oct 1–7,
Oct 10 a make-up working Saturday) and the overdue escalation, once, rendered per reader."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from accounts.choices import Role
from assurance.models import AssuranceEvent, Drill
from assurance.services import (
    drill_record,
    drill_schedule,
    overdue_escalate,
    plan_review_record,
    review_due_date,
)
from notifications.models import Notification
from tests.factories import UserFactory

from .conftest import SH, at

pytestmark = pytest.mark.django_db


def test_review_due_on_national_day_moves_to_the_first_working_day_after(plan, eng):
    # Reviewed on 1 April, every 6 months: 1 October is National Day; the holiday runs to 7 October.
    plan = plan_review_record(plan_id=plan.pk, actor=eng, reviewed_on=date(2026, 4, 1), now=at(2026, 4, 2))
    assert plan.next_review_due == date(2026, 10, 8)
    # The same rule, directly: a plain working day stays as it is.
    assert review_due_date(organization_id=plan.organization_id, reviewed_on=date(2026, 3, 3), months=6,
                           now=at(2026, 3, 3)) == date(2026, 9, 3)
    # A weekend moves to Monday.
    assert review_due_date(organization_id=plan.organization_id, reviewed_on=date(2026, 3, 5), months=6,
                           now=at(2026, 3, 5)) == date(2026, 9, 7)
    event = AssuranceEvent.objects.filter(subject="plan", subject_id=plan.pk, action="reviewed").get()
    assert event.data["next_review_due"] == "2026-10-08" and event.actor == eng


def test_drill_record_due_counts_working_days_across_the_holiday(plan, eng):
    drill = drill_schedule(actor=eng, plan=plan, title="国庆前演练", scheduled_start=at(2026, 9, 30, 9),
                           scheduled_end=at(2026, 9, 30, 11), now=at(2026, 9, 1))
    # Three working days after 30 September: 8 Oct (Thu), 9 Oct (Fri), 10 Oct (make-up Saturday) → end of 10 Oct.
    assert drill.record_due_at == datetime(2026, 10, 11, 0, 0, tzinfo=SH)
    ordinary = drill_schedule(actor=eng, plan=plan, title="普通演练", scheduled_start=at(2026, 6, 2, 9),
                              scheduled_end=at(2026, 6, 2, 11), now=at(2026, 6, 1))
    assert ordinary.record_due_at == datetime(2026, 6, 6, 0, 0, tzinfo=SH)  # Wed, Thu, Fri


def test_overdue_review_escalated_once_in_the_readers_language(plan, lead, eng):
    english_boss = UserFactory(username="boss_en", role=Role.MANAGER, language="en")
    plan = plan_review_record(plan_id=plan.pk, actor=eng, reviewed_on=date(2026, 4, 1), now=at(2026, 4, 2))
    assert overdue_escalate(now=at(2026, 10, 8, 20)) == 0  # due today: not yet overdue
    assert overdue_escalate(now=at(2026, 10, 9, 9)) == 1
    assert overdue_escalate(now=at(2026, 10, 9, 10)) == 0  # once
    plan.refresh_from_db()
    assert plan.review_escalated_at is not None
    zh = Notification.objects.get(user=lead)
    en = Notification.objects.get(user=english_boss)
    assert "应急预案" in zh.title and plan.name in zh.title
    assert en.title.startswith("Emergency plan review overdue")
    assert zh.link == f"/assurance/emergency-plans/{plan.pk}/"
    # A new review sets a new deadline, which may be escalated again when it passes.
    plan = plan_review_record(plan_id=plan.pk, actor=eng, reviewed_on=date(2026, 10, 9), now=at(2026, 10, 9, 11))
    assert plan.review_escalated_at is None and plan.next_review_due == date(2027, 4, 9)


def test_unrecorded_drill_escalated_once_and_a_recorded_one_never(plan, lead, eng):
    plan_review_record(plan_id=plan.pk, actor=eng, reviewed_on=date(2026, 9, 1), now=at(2026, 9, 1))  # review not due
    late = drill_schedule(actor=eng, plan=plan, title="未记录演练", scheduled_start=at(2026, 9, 30, 9),
                          scheduled_end=at(2026, 9, 30, 11), now=at(2026, 9, 1))
    done = drill_schedule(actor=eng, plan=plan, title="已记录演练", scheduled_start=at(2026, 9, 30, 13),
                          scheduled_end=at(2026, 9, 30, 15), now=at(2026, 9, 1))
    drill_record(drill_id=done.pk, actor=eng, version=None, participants="张工", step_results=[], recovery_minutes=50,
                 now=at(2026, 9, 30, 16))
    # Over the holiday nothing is overdue yet: due end of 10 October.
    assert overdue_escalate(now=at(2026, 10, 10, 23)) == 0
    assert overdue_escalate(now=at(2026, 10, 11, 1)) == 1
    assert overdue_escalate(now=at(2026, 10, 12, 1)) == 0
    late.refresh_from_db()
    assert late.escalated_at is not None
    assert Drill.objects.get(pk=done.pk).escalated_at is None
    note = Notification.objects.get(user=lead)
    assert "演练" in note.title and "未记录演练" in note.title
    assert "2026" in note.body and "T" not in note.body.split("2026")[1][:6]  # a human date, not an ISO string
