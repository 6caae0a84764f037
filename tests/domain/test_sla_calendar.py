"""tickets/sla/calendar.py and deadlines.py: pure business-time arithmetic (no database).

Table-driven cases pin the behaviour a dispatcher can check by hand; hypothesis properties pin
the algebra (adding in two steps equals adding at once, `between` inverts `add`, results fall
inside working periods)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from tickets.sla.calendar import DEFAULT_PERIODS, BusinessCalendar
from tickets.sla.deadlines import DEFAULT_TARGETS, deadlines_compute, due_after

SH = ZoneInfo("Asia/Shanghai")
H = timedelta(hours=1)
M = timedelta(minutes=1)

FRI = date(2025, 6, 13)
SAT = date(2025, 6, 14)
SUN = date(2025, 6, 15)
MON = date(2025, 6, 16)
TUE = date(2025, 6, 17)


def at(day: date, hh: int, mm: int = 0, tz: ZoneInfo = SH) -> datetime:
    return datetime.combine(day, time(hh, mm), tz)


DEFAULT = BusinessCalendar()
MON_HOLIDAY = BusinessCalendar(holidays=frozenset({MON}))
SAT_MAKEUP = BusinessCalendar(makeup_workdays=frozenset({SAT}))
BOTH = BusinessCalendar(holidays=frozenset({MON}), makeup_workdays=frozenset({SUN}))


@pytest.mark.parametrize(
    ("calendar", "start", "duration", "expected"),
    [
        pytest.param(DEFAULT, at(FRI, 17, 30), 1 * H, at(MON, 9, 30), id="friday-evening-to-monday"),
        pytest.param(DEFAULT, at(MON, 11, 30), 1 * H, at(MON, 14, 0), id="across-lunch"),
        pytest.param(DEFAULT, at(MON, 12, 15), 1 * H, at(MON, 14, 30), id="start-in-lunch"),
        pytest.param(DEFAULT, at(MON, 8, 0), 1 * H, at(MON, 10, 0), id="start-before-work"),
        pytest.param(DEFAULT, at(MON, 17, 0), 1 * H, at(MON, 18, 0), id="ends-at-closing-time"),
        pytest.param(DEFAULT, at(MON, 9, 0), 7 * H + 30 * M, at(MON, 18, 0), id="one-full-day"),
        pytest.param(DEFAULT, at(MON, 9, 0), 8 * H, at(TUE, 9, 30), id="a-day-and-a-half-hour"),
        pytest.param(DEFAULT, at(SAT, 10, 0), 2 * H, at(MON, 11, 0), id="start-on-weekend"),
        pytest.param(DEFAULT, at(MON, 12, 0), 0 * H, at(MON, 12, 0), id="zero-is-identity"),
        pytest.param(MON_HOLIDAY, at(FRI, 17, 30), 1 * H, at(TUE, 9, 30), id="holiday-skipped"),
        pytest.param(SAT_MAKEUP, at(FRI, 17, 30), 1 * H, at(SAT, 9, 30), id="makeup-saturday-worked"),
        pytest.param(SAT_MAKEUP, at(FRI, 17, 0), 8 * H, at(SAT, 17, 30), id="makeup-saturday-full-hours"),
        pytest.param(BOTH, at(FRI, 17, 30), 1 * H, at(SUN, 9, 30), id="makeup-sunday-before-holiday"),
        pytest.param(BOTH, at(SUN, 17, 30), 1 * H, at(TUE, 9, 30), id="makeup-sunday-then-holiday"),
        pytest.param(DEFAULT, at(FRI, 9, 30, UTC), 1 * H, at(MON, 9, 30), id="utc-input-17:30-shanghai"),
    ],
)
def test_add_business_time(calendar: BusinessCalendar, start: datetime, duration: timedelta, expected: datetime):
    result = calendar.add(start, duration)
    assert result == expected
    assert calendar.between(start, result) == duration


@pytest.mark.parametrize(
    ("calendar", "start", "end", "expected"),
    [
        pytest.param(DEFAULT, at(FRI, 17, 30), at(MON, 9, 30), 1 * H, id="over-weekend"),
        pytest.param(DEFAULT, at(MON, 11, 30), at(MON, 14, 0), 1 * H, id="over-lunch"),
        pytest.param(DEFAULT, at(MON, 9, 0), at(TUE, 9, 0), 7 * H + 30 * M, id="one-day"),
        pytest.param(DEFAULT, at(MON, 10, 0), at(MON, 9, 0), timedelta(0), id="end-before-start"),
        pytest.param(DEFAULT, at(SAT, 0, 0), at(SUN, 23, 0), timedelta(0), id="weekend-only"),
        pytest.param(MON_HOLIDAY, at(FRI, 17, 0), at(TUE, 10, 0), 2 * H, id="over-holiday"),
        pytest.param(SAT_MAKEUP, at(FRI, 17, 0), at(MON, 10, 0), 1 * H + 7 * H + 30 * M + 1 * H, id="makeup-day"),
    ],
)
def test_between(calendar: BusinessCalendar, start: datetime, end: datetime, expected: timedelta):
    assert calendar.between(start, end) == expected


@pytest.mark.parametrize(
    ("calendar", "start", "days", "expected"),
    [
        (DEFAULT, at(MON, 10, 0), 1, at(TUE, 10, 0)),
        (DEFAULT, at(FRI, 10, 0), 1, at(MON, 10, 0)),
        (DEFAULT, at(FRI, 10, 0), 5, at(FRI + timedelta(days=7), 10, 0)),
        (MON_HOLIDAY, at(FRI, 10, 0), 1, at(TUE, 10, 0)),
        (SAT_MAKEUP, at(FRI, 10, 0), 1, at(SAT, 10, 0)),
    ],
)
def test_add_days(calendar: BusinessCalendar, start: datetime, days: int, expected: datetime):
    assert calendar.add_days(start, days) == expected


def test_negative_duration_is_refused():
    with pytest.raises(ValueError, match="negative"):
        DEFAULT.add(at(MON, 10), -M)


def test_calendar_without_working_time_says_so():
    with pytest.raises(ValueError, match="horizon"):
        BusinessCalendar(week={}).add(at(MON, 10), H, max_days=30)


def test_default_periods_are_the_contract_hours():
    assert DEFAULT_PERIODS == ((time(9, 0), time(12, 0)), (time(13, 30), time(18, 0)))
    assert DEFAULT.day_length(MON) == 7 * H + 30 * M
    assert DEFAULT.day_length(SAT) == timedelta(0)
    assert MON_HOLIDAY.day_length(MON) == timedelta(0)
    assert SAT_MAKEUP.day_length(SAT) == 7 * H + 30 * M


# --- deadlines -------------------------------------------------------------------------------

def test_level_one_and_two_run_around_the_clock():
    start = at(FRI, 17, 30)
    one = deadlines_compute(start=start, level="I", calendar=DEFAULT)
    assert (one.respond_due, one.onsite_due, one.restore_due, one.resolve_due) == (
        start + 15 * M, start + H, start + 4 * H, start + 24 * H)
    two = deadlines_compute(start=start, level="II", calendar=DEFAULT)
    assert (two.respond_due, two.onsite_due, two.restore_due, two.resolve_due) == (
        start + 30 * M, start + 2 * H, start + 8 * H, start + 48 * H)


def test_level_three_and_four_use_business_hours():
    start = at(FRI, 17, 30)
    three = deadlines_compute(start=start, level="III", calendar=DEFAULT)
    assert three.respond_due == at(MON, 10, 30)  # 0.5 h Friday + 1.5 h Monday
    assert three.onsite_due == at(MON, 14, 0)  # 0.5 + 3 h morning + 0.5 h after lunch
    assert three.restore_due == DEFAULT.add(start, 24 * H)
    assert three.resolve_due == DEFAULT.add(start, 5 * (7 * H + 30 * M))  # 5 business days
    four = deadlines_compute(start=start, level="IV", calendar=DEFAULT)
    assert four.respond_due == at(MON, 14, 0)  # 0.5 h Friday + 3 h morning + 0.5 h after lunch
    assert four.onsite_due is None  # by appointment
    assert four.restore_due == DEFAULT.add(start, 3 * (7 * H + 30 * M))
    assert four.resolve_due is None


def test_deadlines_follow_the_calendar_given():
    start = at(FRI, 17, 30)
    assert deadlines_compute(start=start, level="III", calendar=MON_HOLIDAY).respond_due == at(TUE, 10, 30)


def test_due_after_without_target_is_none():
    assert due_after(start=at(MON, 9), duration=None, business_hours=True, calendar=DEFAULT) is None


def test_default_targets_cover_every_level():
    assert set(DEFAULT_TARGETS) == {"I", "II", "III", "IV"}


def test_sla_package_imports_no_django():
    """Purity, checked at run time too (lint-imports checks it statically)."""
    code = (
        "import sys, tickets.sla.calendar, tickets.sla.deadlines; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'django', 'accounts', 'incidents', 'cmdb'} "
        "or m == 'tickets.models'); print(bad); sys.exit(1 if bad else 0)"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


# --- properties ------------------------------------------------------------------------------

RANGE_START = date(2024, 1, 1)


@st.composite
def calendars(draw: st.DrawFn) -> BusinessCalendar:
    """Default hours, or random non-overlapping periods per weekday; random holidays and make-up days."""
    if draw(st.booleans()):
        week = {d: DEFAULT_PERIODS for d in range(5)}
    else:
        week = {}
        for weekday in range(7):
            minutes = draw(st.lists(st.integers(0, 24 * 60 - 1), min_size=0, max_size=6, unique=True))
            minutes.sort()
            if len(minutes) % 2:
                minutes.pop()
            week[weekday] = tuple(
                (time(a // 60, a % 60), time(b // 60, b % 60)) for a, b in zip(minutes[::2], minutes[1::2], strict=True)
            )
        # At least 10 working hours a week, so the largest durations drawn (2 × 300 h) fit well within
        # the calendar's ten-year horizon; sparser calendars are legitimate but raise by design.
        weekly = sum((datetime.combine(RANGE_START, b) - datetime.combine(RANGE_START, a)).total_seconds()
                     for periods in week.values() for a, b in periods)
        assume(weekly >= 10 * 3600)
    offsets = st.integers(0, 3 * 366)
    holidays = frozenset(RANGE_START + timedelta(days=n) for n in draw(st.lists(offsets, max_size=20)))
    makeups = frozenset(RANGE_START + timedelta(days=n) for n in draw(st.lists(offsets, max_size=8)))
    return BusinessCalendar(week=week, holidays=holidays, makeup_workdays=makeups,
                            makeup_weekday=draw(st.integers(0, 6)))


any_instant = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.sampled_from([SH, UTC]),
)
# Round times and durations land exactly on period boundaries, where off-by-one bugs live.
round_instant = st.builds(
    lambda day, quarter: datetime.combine(RANGE_START + timedelta(days=day), time(0), SH) + quarter * 15 * M,
    st.integers(0, 3 * 365), st.integers(0, 95),
)
starts = st.one_of(any_instant, round_instant)
durations = st.one_of(
    st.just(timedelta(0)),
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=300)),
    st.integers(0, 600).map(lambda n: n * 15 * M),
)
PROPERTY_SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@PROPERTY_SETTINGS
@given(calendar=calendars(), start=starts, a=durations, b=durations)
@example(calendar=DEFAULT, start=at(MON, 11), a=H, b=timedelta(0))  # lands on 12:00, then adds nothing
def test_adding_in_two_steps_equals_adding_at_once(calendar: BusinessCalendar, start: datetime, a: timedelta,
                                                   b: timedelta):
    assert calendar.add(calendar.add(start, a), b) == calendar.add(start, a + b)


@PROPERTY_SETTINGS
@given(calendar=calendars(), start=starts, a=durations)
def test_between_inverts_add(calendar: BusinessCalendar, start: datetime, a: timedelta):
    assert calendar.between(start, calendar.add(start, a)) == a


@PROPERTY_SETTINGS
@given(calendar=calendars(), start=starts, a=durations.filter(lambda d: d > timedelta(0)))
def test_results_fall_inside_working_periods(calendar: BusinessCalendar, start: datetime, a: timedelta):
    result = calendar.add(start, a).astimezone(calendar.tz)
    periods = calendar.periods_on(result.date())
    assert any(a_ < result.time() <= b_ for a_, b_ in periods), (result, periods)
    assert result > start


@PROPERTY_SETTINGS
@given(calendar=calendars(), start=starts, end=starts)
def test_between_is_never_negative_nor_longer_than_wall_time(calendar: BusinessCalendar, start: datetime,
                                                             end: datetime):
    elapsed = calendar.between(start, end)
    assert timedelta(0) <= elapsed <= max(end - start, timedelta(0))
