"""Scheduling conflicts: other changes on the same CI, freeze windows (global or per organisation,
blocking or warning), agreed maintenance windows (weekly, crossing midnight, one-off)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from changes.conflicts import change_conflicts
from changes.models import FreezeWindow, MaintenanceWindow
from changes.selectors import change_calendar_list
from tests.factories import CIFactory

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def kinds(conflicts):
    return sorted(c.kind for c in conflicts)


def test_overlapping_change_on_the_same_ci_warns(make_change, org_a, now):
    ci = CIFactory(organization=org_a)
    first = make_change(status="submitted", cis=[ci])
    second = make_change(cis=[ci, CIFactory(organization=org_a)], start=first.planned_start + timedelta(hours=1))
    conflicts = change_conflicts(change=second, start=second.planned_start, end=second.planned_end)
    assert kinds(conflicts) == ["overlap"] and conflicts[0].other == first and not conflicts[0].blocking
    # Back to back is no overlap; a draft holds no window.
    assert change_conflicts(change=second, start=first.planned_end, end=first.planned_end + timedelta(hours=1)) == []
    draft = make_change(cis=[ci], start=first.planned_start)
    assert all(c.other != draft for c in change_conflicts(change=second, start=second.planned_start,
                                                          end=second.planned_end))


def test_freeze_windows_of_other_organisations_do_not_apply(make_change, org_b):
    change = make_change()
    FreezeWindow.objects.create(name="B only", start=change.planned_start, end=change.planned_end, organization=org_b)
    FreezeWindow.objects.create(name="Off", start=change.planned_start, end=change.planned_end, is_active=False)
    assert change_conflicts(change=change, start=change.planned_start, end=change.planned_end) == []
    FreezeWindow.objects.create(name="Everyone", start=change.planned_start, end=change.planned_end)
    conflicts = change_conflicts(change=change, start=change.planned_start, end=change.planned_end)
    assert kinds(conflicts) == ["freeze"] and conflicts[0].blocking


def test_weekly_maintenance_window_crossing_midnight(make_change, org_a):
    # Saturday 22:00 – Sunday 04:00 local time.
    MaintenanceWindow.objects.create(organization=org_a, weekday=5, start_time=time(22), end_time=time(4),
                                     blocking=True)
    change = make_change()
    saturday = datetime(2026, 12, 5, 23, 0, tzinfo=SH)
    assert change_conflicts(change=change, start=saturday, end=saturday + timedelta(hours=4)) == []
    late = change_conflicts(change=change, start=saturday, end=saturday + timedelta(hours=6))
    assert kinds(late) == ["outside_maintenance"] and late[0].blocking
    sunday_early = datetime(2026, 12, 6, 1, 0, tzinfo=SH)
    assert change_conflicts(change=change, start=sunday_early, end=sunday_early + timedelta(hours=1)) == []
    monday = datetime(2026, 12, 7, 1, 0, tzinfo=SH)
    assert kinds(change_conflicts(change=change, start=monday, end=monday + timedelta(hours=1))) == [
        "outside_maintenance"]


def test_one_off_window_and_warning_only_policy(make_change, org_a):
    change = make_change()
    start = datetime(2026, 12, 9, 20, 0, tzinfo=SH)
    MaintenanceWindow.objects.create(organization=org_a, kind="one_off", start=start, end=start + timedelta(hours=3))
    assert change_conflicts(change=change, start=start, end=start + timedelta(hours=2)) == []
    outside = change_conflicts(change=change, start=start + timedelta(hours=2), end=start + timedelta(hours=4))
    assert kinds(outside) == ["outside_maintenance"] and not outside[0].blocking


def test_no_windows_agreed_means_no_constraint(make_change):
    change = make_change()
    assert change_conflicts(change=change, start=change.planned_start, end=change.planned_end) == []


def test_calendar_lists_overlapping_windows_visible_to_the_user(make_change, org_b, customer_a, customer_b, manager,
                                                                now):
    mine = make_change(status="submitted")
    other = make_change(organization=org_b)
    start, end = mine.planned_start - timedelta(days=1), mine.planned_end + timedelta(days=1)
    assert set(change_calendar_list(user=manager, start=start, end=end)) == {mine, other}
    assert list(change_calendar_list(user=customer_a, start=start, end=end)) == [mine]
    assert list(change_calendar_list(user=customer_b, start=mine.planned_end, end=end)) == []
