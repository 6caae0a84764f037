"""tickets/sla/clock.py: warning instants, remaining time, shifting, the sweep's decision, calendars
from configuration data. Pure: no database."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tickets.sla.calendar import BusinessCalendar
from tickets.sla.clock import (
    TargetSpec,
    clock_plan,
    from_config,
    parse_week,
    remaining,
    shift,
    sweep_step,
)

SH = ZoneInfo("Asia/Shanghai")
H = timedelta(hours=1)
CAL = BusinessCalendar()


def at(d: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(d, time(hh, mm), SH)


MON, FRI = date(2025, 6, 16), date(2025, 6, 13)


@pytest.mark.parametrize(
    ("spec", "start", "due", "warnings"),
    [
        pytest.param(TargetSpec("restore", duration=4 * H), at(MON, 10), at(MON, 14),
                     [(50, at(MON, 12)), (75, at(MON, 13)), (90, at(MON, 13, 36))], id="24x7"),
        pytest.param(TargetSpec("respond", duration=2 * H, business=True), at(FRI, 17), at(MON, 10),
                     [(50, at(FRI, 18)), (75, at(MON, 9, 30)), (90, at(MON, 9, 48))], id="business-over-weekend"),
        pytest.param(TargetSpec("resolve", business_days=1), at(MON, 11), at(date(2025, 6, 17), 11),
                     [(50, at(MON, 16, 15)), (75, at(date(2025, 6, 17), 9, 7) + timedelta(seconds=30)),
                      (90, at(date(2025, 6, 17), 10, 15))],
                     id="business-days"),
    ],
)
def test_plan_due_and_warnings(spec, start, due, warnings):
    plan = clock_plan(spec, start=start, calendar=CAL, thresholds=[90, 50, 75, 50, 0, 100])
    assert plan is not None
    assert plan.due_at == due
    assert [(p, a) for p, a in plan.warnings] == warnings
    assert plan.next_check_at == warnings[0][1]


def test_no_target_no_plan():
    assert clock_plan(TargetSpec("onsite"), start=at(MON, 9), calendar=CAL, thresholds=[50]) is None


def test_remaining_and_shift():
    assert remaining(now=at(FRI, 17), due=at(MON, 10), business=True, calendar=CAL) == 2 * H
    assert remaining(now=at(MON, 11), due=at(MON, 10), business=True, calendar=CAL) == -H
    assert remaining(now=at(FRI, 17), due=at(MON, 10), business=False, calendar=CAL) == at(MON, 10) - at(FRI, 17)
    assert shift(at(FRI, 17, 30), H, business=True, calendar=CAL) == at(MON, 9, 30)
    assert shift(at(FRI, 17, 30), H, business=False, calendar=CAL) == at(FRI, 18, 30)


@pytest.mark.parametrize(
    ("now", "warned", "expected"),
    [
        (at(MON, 11), 0, ("none", 0, at(MON, 12))),
        (at(MON, 12), 0, ("warning", 50, at(MON, 13))),
        (at(MON, 13, 40), 0, ("warning", 90, at(MON, 14))),  # late sweep: only the highest
        (at(MON, 13, 40), 75, ("warning", 90, at(MON, 14))),
        (at(MON, 13, 50), 90, ("none", 0, at(MON, 14))),
        (at(MON, 14), 50, ("breach", 0, None)),
    ],
)
def test_sweep_step(now, warned, expected):
    warnings = [(50, at(MON, 12)), (75, at(MON, 13)), (90, at(MON, 13, 36))]
    step = sweep_step(now=now, due=at(MON, 14), warnings=warnings, warned_pct=warned)
    assert (step.kind, step.pct, step.next_check_at) == expected


def test_from_config_builds_the_calendar():
    day = [["09:00", "12:00"], ["13:30", "18:00"]]
    cal = from_config(week={**{str(d): day for d in range(5)}, "5": [], "6": []},
                      holidays=[date(2026, 2, 16)], makeup_workdays=[date(2026, 2, 14)], tz="Asia/Shanghai")
    assert cal.periods_on(date(2026, 2, 16)) == ()  # a Monday holiday
    assert cal.day_length(date(2026, 2, 14)) == 7.5 * H  # make-up Saturday follows Monday's hours
    assert cal.add(at(date(2026, 2, 13), 17, 30), H) == at(date(2026, 2, 14), 9, 30)  # Friday → make-up Saturday


@pytest.mark.parametrize("week", [{"7": []}, {"0": [["12:00", "09:00"]]}, {"0": [["09:00", "12:00"], ["11:00", "13:00"]]}])
def test_bad_week_is_refused(week):
    with pytest.raises(ValueError):
        parse_week(week)


@given(st.integers(1, 20 * 60), st.sampled_from([True, False]), st.integers(0, 6 * 24 * 60))
def test_warnings_lie_between_start_and_due(minutes, business, offset):
    start = at(MON, 0) + timedelta(minutes=offset)
    plan = clock_plan(TargetSpec("x", duration=timedelta(minutes=minutes), business=business), start=start,
                      calendar=CAL, thresholds=[50, 75, 90])
    assert plan is not None
    instants = [a for _p, a in plan.warnings]
    assert instants == sorted(instants)
    assert all(start <= a <= plan.due_at for a in instants)


@given(st.integers(0, 10 * 60), st.integers(0, 10 * 60), st.integers(0, 6 * 24 * 60))
def test_shift_adds_up(a, b, offset):
    t = at(MON, 0) + timedelta(minutes=offset)
    da, db = timedelta(minutes=a), timedelta(minutes=b)
    assert shift(shift(t, da, business=True, calendar=CAL), db, business=True, calendar=CAL) == shift(
        t, da + db, business=True, calendar=CAL)
