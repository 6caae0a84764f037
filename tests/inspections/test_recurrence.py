"""When rounds fall: month ends, Chinese holidays and make-up working days (调休) from the SLA
calendar that tickets/sla_config loads (the default calendar's 2026 data: the State Council notice)."""

from __future__ import annotations

from datetime import date

import pytest

from inspections.recurrence import Rule, due_day, occurrences, period_of, scheduled_day
from tickets.sla_config import policy_for

from .conftest import at


@pytest.fixture
def is_working(db):
    calendar = policy_for(organization_id=None, now=at(2026, 1, 15)).calendar
    return lambda d: bool(calendar.periods_on(d))


def test_periods_cross_month_and_year_ends():
    assert period_of("weekly", date(2026, 10, 1)) == (date(2026, 9, 28), date(2026, 10, 4))
    assert period_of("monthly", date(2026, 2, 28)) == (date(2026, 2, 1), date(2026, 2, 28))
    assert period_of("quarterly", date(2026, 12, 31)) == (date(2026, 10, 1), date(2026, 12, 31))
    assert period_of("half_yearly", date(2026, 7, 1)) == (date(2026, 7, 1), date(2026, 12, 31))
    assert period_of("weekly", date(2027, 1, 1)) == (date(2026, 12, 28), date(2027, 1, 3))


def test_first_working_day_skips_new_year_and_uses_the_sunday_make_up_day(is_working):
    # 1–2 Jan 2026 are holidays, 3 Jan a Saturday, 4 Jan (Sunday) a make-up working day.
    rule = Rule("quarterly", "nth_working_day", nth=1)
    assert scheduled_day(rule, date(2026, 1, 1), date(2026, 3, 31), is_working) == date(2026, 1, 4)


def test_national_day_week_moves_the_round(is_working):
    # October 2026: 1–7 holidays except the weekend 3–4; the first working day is Thursday 8 Oct.
    assert scheduled_day(Rule("monthly"), date(2026, 10, 1), date(2026, 10, 31), is_working) == date(2026, 10, 8)
    # "First Monday of the month" is 5 Oct, a holiday: the next working day.
    first_monday = Rule("monthly", "nth_weekday", nth=1, weekday=0)
    assert scheduled_day(first_monday, date(2026, 10, 1), date(2026, 10, 31), is_working) == date(2026, 10, 8)
    # An ordinary month: the first Monday itself.
    assert scheduled_day(first_monday, date(2026, 11, 1), date(2026, 11, 30), is_working) == date(2026, 11, 2)


def test_weekly_round_on_a_make_up_saturday_and_none_in_a_week_without_working_days(is_working):
    saturday = Rule("weekly", "nth_weekday", nth=1, weekday=5)
    # 14 Feb 2026 is a Saturday worked before Spring Festival.
    assert scheduled_day(saturday, date(2026, 2, 9), date(2026, 2, 15), is_working) == date(2026, 2, 14)
    # 16–22 Feb: the Spring Festival holiday week — no working day, no round.
    assert scheduled_day(Rule("weekly"), date(2026, 2, 16), date(2026, 2, 22), is_working) is None
    weeks = occurrences(Rule("weekly"), date(2026, 2, 9), date(2026, 3, 1), is_working)
    assert [o.scheduled_for for o in weeks] == [date(2026, 2, 9), date(2026, 2, 24)]


def test_weekday_at_month_end_falls_back_inside_its_week(is_working):
    # Week 28 Sep – 4 Oct 2026: Thursday 1 Oct is a holiday and so is every later working day of the
    # week, so the round takes the last working day before it, Wednesday 30 Sep.
    thursday = Rule("weekly", "nth_weekday", nth=1, weekday=3)
    assert scheduled_day(thursday, date(2026, 9, 28), date(2026, 10, 4), is_working) == date(2026, 9, 30)


def test_nth_working_day_and_half_year(is_working):
    # May 2026: 1–5 off (4–5 holidays), so the third working day is Friday 8 May.
    assert scheduled_day(Rule("monthly", nth=3), date(2026, 5, 1), date(2026, 5, 31), is_working) == date(2026, 5, 8)
    half = occurrences(Rule("half_yearly"), date(2026, 1, 1), date(2026, 12, 31), is_working)
    assert [o.scheduled_for for o in half] == [date(2026, 1, 4), date(2026, 7, 1)]
    # Nth working day beyond the period's count takes its last working day.
    assert scheduled_day(Rule("weekly", nth=9), date(2026, 11, 2), date(2026, 11, 8), is_working) == date(2026, 11, 6)


def test_due_day_counts_working_days_over_holidays(is_working):
    assert due_day(date(2026, 9, 30), 1, is_working) == date(2026, 9, 30)
    assert due_day(date(2026, 9, 30), 2, is_working) == date(2026, 10, 8)
    assert due_day(date(2026, 10, 8), 3, is_working) == date(2026, 10, 10)  # Saturday 10 Oct is worked
