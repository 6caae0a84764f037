"""The desk's proposed scores against hand-computed examples (December 2026: 23 working days on a
Monday–Friday calendar without holidays), the manager's adjustment with its history, publishing."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from itertools import count

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.choices import Role
from incidents.models import Incident
from problems.models import Problem
from quality.models import Callback, SatisfactionRating
from team.choices import LeaveStatus, ScorecardStatus
from team.kpi import propose, scorecard_adjust, scorecards_propose, scorecards_publish
from team.models import LeaveRequest, Scorecard
from tests.factories import UserFactory
from tickets.models import WorkLog
from tickets.sla.calendar import BusinessCalendar

from .conftest import sh

DEC = date(2026, 12, 1)
seq = count(1)


def incident(org, engineer, *, restored_at=None, restore_due=None, resolved_at=None, status="resolved"):
    n = next(seq)
    return Incident.objects.create(number=f"INC-T{n}", title=f"T{n}", organization=org, assignee=engineer,
                                   reported_at=sh(2026, 11, 30), status=status, restored_at=restored_at,
                                   restore_due=restore_due, resolved_at=resolved_at)


def worklog(engineer, hours, day):
    WorkLog.objects.create(ticket_kind="incident", ticket_id=1, author=engineer, created_at=sh(2026, 12, day, 12),
                           minutes=hours * 60, note="work", work_date=date(2026, 12, day))


@pytest.fixture
def month_data(db, org_a):
    full = UserFactory(username="kpi_full", name="Full", role=Role.ENGINEER)
    half = UserFactory(username="kpi_half", name="Half", role=Role.ENGINEER)
    mate = UserFactory(username="kpi_mate", role=Role.ENGINEER)
    # Full: ratings 5 and 4, a call-back 3 → 4.0.
    i1 = incident(org_a, full, restored_at=sh(2026, 12, 3, 10), restore_due=sh(2026, 12, 3, 12),
                  resolved_at=sh(2026, 12, 3, 11))
    i2 = incident(org_a, full, restored_at=sh(2026, 12, 8, 15), restore_due=sh(2026, 12, 8, 12),
                  resolved_at=sh(2026, 12, 8, 16))
    for inc, stars in ((i1, 5), (i2, 4)):
        SatisfactionRating.objects.create(ticket_kind="incident", ticket_id=inc.pk, ticket_number=inc.number,
                                          organization=org_a, assignee=full, stars=stars, source="portal",
                                          created_at=sh(2026, 12, 10))
    old = incident(org_a, full, resolved_at=sh(2026, 11, 30, 20), status="closed")
    SatisfactionRating.objects.create(ticket_kind="incident", ticket_id=old.pk, ticket_number=old.number,
                                      organization=org_a, assignee=full, stars=1, source="portal",
                                      created_at=sh(2026, 11, 30, 23, 59))  # November: not counted
    Callback.objects.create(incident=i1, organization=org_a, assignee=full, outcome="reached", satisfaction=3,
                            called_by=mate, called_at=sh(2026, 12, 11))
    # 46 hours logged, 2 tickets resolved.
    for day, hours in ((2, 8), (3, 8), (4, 8), (7, 8), (8, 8), (9, 6)):
        worklog(full, hours, day)
    # Problems: one resolved in 10 days, one open since October (past the 30 days).
    Problem.objects.create(number="PRB-T1", title="P1", organization=org_a, assignee=full, status="resolved",
                           reported_at=sh(2026, 12, 1), resolved_at=sh(2026, 12, 11))
    Problem.objects.create(number="PRB-T2", title="P2", organization=org_a, assignee=full, status="investigating",
                           reported_at=sh(2026, 10, 1))
    # Half: no ratings, no problems, no faults; 22 hours; on approved leave 16–31 December (12 working days).
    for day in (1, 2, 3, 4, 7, 8, 9, 10, 11, 14, 15):
        worklog(half, 2, day)
    LeaveRequest.objects.create(number="LV-T1", title="Leave", organization=org_a, reported_at=sh(2026, 12, 1),
                                engineer=half, stand_in=mate, starts_at=sh(2026, 12, 16), ends_at=sh(2026, 12, 31, 23, 59),
                                status=LeaveStatus.APPROVED)
    return {"full": full, "half": half, "mate": mate}


def test_proposed_scores_match_the_hand_computed_examples(month_data):
    cal = BusinessCalendar()
    full = propose(engineer=month_data["full"], month=DEC, calendar=cal)
    assert full.detail["satisfaction"]["measure"] == 4.0      # (5 + 4 + 3) / 3
    assert full.detail["workload"]["inputs"]["available_days"] == 23
    assert full.detail["workload"]["measure"] == 2.17         # (46 h + 2 × 2 h) / 23 days
    assert full.detail["problems"]["measure"] == 50.0         # 1 in time of (1 resolved + 1 open too long)
    assert full.detail["recovery"]["measure"] == 50.0         # 1 of 2 restored by the deadline
    assert full.scores == {"satisfaction": 4, "workload": 3, "problems": 2, "recovery": 1}
    assert full.total == Decimal("2.50")                      # (30×4 + 20×3 + 20×2 + 30×1) / 100

    half = propose(engineer=month_data["half"], month=DEC, calendar=cal)
    assert half.detail["satisfaction"]["measure"] is None     # nobody rated: the configured 4
    assert half.detail["workload"]["inputs"]["leave_days"] == 12
    assert half.detail["workload"]["measure"] == 2.0          # 22 h / (23 − 12) days, not 22 / 23
    assert half.scores == {"satisfaction": 4, "workload": 3, "problems": 4, "recovery": 4}
    assert half.total == Decimal("3.80")


def test_adjust_with_reason_history_and_publish(month_data, now):
    manager = UserFactory(username="kpi_pm", role=Role.MANAGER)
    with pytest.raises(PermissionDenied):
        scorecards_propose(actor=month_data["full"], month=DEC, now=now)
    cards = {c.user_id: c for c in scorecards_propose(actor=manager, month=DEC, now=now)}
    card = cards[month_data["full"].pk]
    with pytest.raises(ValidationError):
        scorecard_adjust(actor=manager, scorecard_id=card.pk, dimension="recovery", score=3, reason=" ",
                         version=card.version, now=now)
    with pytest.raises(ValidationError):
        scorecard_adjust(actor=manager, scorecard_id=card.pk, dimension="recovery", score=7, reason="x",
                         version=card.version, now=now)
    card = scorecard_adjust(actor=manager, scorecard_id=card.pk, dimension="recovery", score=3,
                            reason="The late restore waited for the vendor's part", version=card.version, now=now)
    assert card.scores["recovery"] == 3 and card.total != Decimal("0")
    # Proposing again keeps the adjustment; publishing freezes the month.
    scorecards_propose(actor=manager, month=DEC, now=now + timedelta(minutes=1))
    card.refresh_from_db()
    assert card.scores["recovery"] == 3
    assert card.adjustments.get().old_score == 1
    assert scorecards_publish(actor=manager, month=DEC, now=now) >= 2
    assert Scorecard.objects.get(pk=card.pk).status == ScorecardStatus.PUBLISHED
    with pytest.raises(ValidationError):
        scorecard_adjust(actor=manager, scorecard_id=card.pk, dimension="recovery", score=4, reason="again",
                         version=None, now=now)
