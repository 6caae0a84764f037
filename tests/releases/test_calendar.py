"""The change calendar: grid arithmetic, what each view contains (changes, releases, freeze and
maintenance windows, conflicts), tenancy, bulk conflict detection equal to the changes app's own
check, a constant number of queries, and the pages."""

from __future__ import annotations

from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from changes.conflicts import change_conflicts
from releases.calendar import Entry, parse_anchor, parse_view, place, span_for
from releases.selectors import calendar_conflicts, calendar_entries, change_calendar_list

from .conftest import local

SHANGHAI = ZoneInfo("Asia/Shanghai")


# --- grid arithmetic (pure) -----------------------------------------------------------------

def test_month_span_is_whole_weeks_monday_first():
    span = span_for("month", date(2026, 11, 18), SHANGHAI)
    assert span.days[0] == date(2026, 10, 26) and span.days[-1] == date(2026, 12, 6)
    assert len(span.weeks) == 6 and all(len(w) == 7 for w in span.weeks)
    assert span.start == local(2026, 10, 26) and span.end == local(2026, 12, 7)
    assert (span.prev, span.next) == (date(2026, 10, 1), date(2026, 12, 1))
    assert span_for("month", date(2026, 12, 31), SHANGHAI).next == date(2027, 1, 1)


def test_week_span_and_parsing():
    span = span_for("week", date(2026, 11, 27), SHANGHAI)
    assert span.days[0] == date(2026, 11, 23) and len(span.days) == 7
    assert span.prev == date(2026, 11, 20) and span.next == date(2026, 12, 4)
    today = date(2026, 11, 27)
    assert parse_anchor("2026-02", today=today) == date(2026, 2, 1)
    assert parse_anchor("2026-02-30", today=today) == today
    assert parse_anchor("9999-01-01", today=today) == today
    assert parse_anchor("<script>", today=today) == today
    assert parse_view("year") == "month" and parse_view("list") == "list"


def test_entries_spanning_days_and_exclusive_ends():
    days = span_for("week", date(2026, 11, 23), SHANGHAI).days
    overnight = Entry(kind="change", key="c1", title="x", start=local(2026, 11, 24, 22), end=local(2026, 11, 25, 2))
    to_midnight = Entry(kind="change", key="c2", title="y", start=local(2026, 11, 26, 22), end=local(2026, 11, 27))
    frozen = Entry(kind="freeze", key="f1", title="z", start=local(2026, 11, 1), end=local(2027, 1, 1))
    cells = place([overnight, to_midnight, frozen], days, SHANGHAI)
    assert [e.key for e in cells[date(2026, 11, 24)]] == ["f1", "c1"]
    assert [e.key for e in cells[date(2026, 11, 25)]] == ["f1", "c1"]
    assert [e.key for e in cells[date(2026, 11, 26)]] == ["f1", "c2"]
    assert [e.key for e in cells[date(2026, 11, 27)]] == ["f1"]
    assert all(cells[d] for d in days)


# --- contents ---------------------------------------------------------------------------------

@pytest.fixture
def month(db):
    return span_for("month", date(2026, 11, 1), SHANGHAI)


@pytest.fixture
def scene(make_change, make_release, freeze, maintenance, org_a, org_b, ci_a, ci_b, operator):
    """November 2026: org A has two overlapping changes on one CI (one inside a blocking freeze), a
    release, a weekly Saturday-night maintenance window; org B a change of its own."""
    a1 = make_change(organization=org_a, title="Core switch firmware", start=local(2026, 11, 14, 23),
                     end=local(2026, 11, 15, 3), cis=[ci_a])
    a2 = make_change(organization=org_a, title="Core switch ACL", start=local(2026, 11, 15, 1),
                     end=local(2026, 11, 15, 2), cis=[ci_a], type="emergency", status="implementing")
    a_draft = make_change(organization=org_a, title="Draft idea", start=local(2026, 11, 20, 10),
                          end=local(2026, 11, 20, 11), status="draft")
    make_change(organization=org_a, title="Rejected plan", start=local(2026, 11, 21, 10),
                end=local(2026, 11, 21, 11), status="rejected")
    b1 = make_change(organization=org_b, title="Bravo oven firmware", start=local(2026, 11, 10, 9),
                     end=local(2026, 11, 10, 10), cis=[ci_b])
    release = make_release(organization=org_a, changes=[a1], start=local(2026, 11, 14, 22), hours=6)
    national = freeze(name="Import Expo", start=local(2026, 11, 5), end=local(2026, 11, 11))
    own = freeze(name="Org A audit", start=local(2026, 11, 15, 0), end=local(2026, 11, 15, 6), organization=org_a,
                 blocking=False)
    freeze(name="Org B audit", start=local(2026, 11, 3), end=local(2026, 11, 4), organization=org_b)
    weekly = maintenance(organization=org_a, name="Saturday night", kind="weekly", weekday=5,
                         start_time=time(22), end_time=time(4))
    return {"a1": a1, "a2": a2, "draft": a_draft, "b1": b1, "release": release, "national": national, "own": own,
            "weekly": weekly}


def keys(data):
    return {e.key for e in data.entries}


def test_staff_month_shows_everything_that_will_happen(scene, month, operator):
    data = calendar_entries(user=operator, start=month.start, end=month.end, days=month.days, zone=SHANGHAI)
    assert {f"change-{scene[k].pk}" for k in ("a1", "a2", "draft", "b1")} <= keys(data)
    assert f"release-{scene['release'].pk}" in keys(data)
    assert {e.title for e in data.entries if e.kind == "freeze"} == {"Import Expo", "Org A audit", "Org B audit"}
    assert not any(e.title == "Rejected plan" for e in data.entries)
    assert not data.maintenance_shown and not any(e.kind == "maintenance" for e in data.entries)


def test_organisation_filter_adds_its_maintenance_windows(scene, month, operator, org_a):
    data = calendar_entries(user=operator, start=month.start, end=month.end, days=month.days, zone=SHANGHAI,
                            organization_id=org_a.pk)
    assert f"change-{scene['b1'].pk}" not in keys(data)
    assert {e.title for e in data.entries if e.kind == "freeze"} == {"Import Expo", "Org A audit"}
    slots = sorted(e.start for e in data.entries if e.kind == "maintenance")
    # Saturdays of the shown days (Oct 31 … Dec 5), 22:00 local, overnight to 04:00.
    assert slots[0] == local(2026, 10, 31, 22) and len(slots) == 6
    assert all(e.end - e.start == timedelta(hours=6) for e in data.entries if e.kind == "maintenance")


def test_ci_filter(scene, month, operator, ci_a):
    data = calendar_entries(user=operator, start=month.start, end=month.end, days=month.days, zone=SHANGHAI,
                            ci_id=ci_a.pk)
    assert {e.key for e in data.entries if e.kind in ("change", "release")} == {
        f"change-{scene['a1'].pk}", f"change-{scene['a2'].pk}", f"release-{scene['release'].pk}"}


def test_customers_see_their_organisation_and_no_drafts(scene, month, customer_b, customer_a, org_a):
    data = calendar_entries(user=customer_b, start=month.start, end=month.end, days=month.days, zone=SHANGHAI,
                            organization_id=org_a.pk)  # asking for A gives B's own
    assert {e.number for e in data.entries if e.kind == "change"} == {scene["b1"].number}
    assert {e.title for e in data.entries if e.kind == "freeze"} == {"Import Expo", "Org B audit"}
    mine = calendar_entries(user=customer_a, start=month.start, end=month.end, days=month.days, zone=SHANGHAI)
    assert f"change-{scene['draft'].pk}" not in keys(mine) and f"release-{scene['release'].pk}" in keys(mine)


def test_conflicts_are_marked(scene, month, operator):
    data = calendar_entries(user=operator, start=month.start, end=month.end, days=month.days, zone=SHANGHAI)
    by_key = {e.key: e for e in data.entries}
    a1 = by_key[f"change-{scene['a1'].pk}"]
    kinds = sorted(c.kind for c in a1.conflicts)
    # Saturday 23:00 – Sunday 03:00 fits the Saturday-night window; it overlaps a2 and Org A's freeze.
    assert kinds == ["freeze", "overlap"] and not any(c.blocking for c in a1.conflicts)
    assert any(scene["a2"].number in c.message for c in a1.conflicts)
    draft = by_key[f"change-{scene['draft'].pk}"]  # Friday morning: outside every agreed window
    assert [c.kind for c in draft.conflicts] == ["outside_maintenance"]
    b1 = by_key[f"change-{scene['b1'].pk}"]  # inside everyone's blocking Import Expo freeze
    assert [(c.kind, c.blocking) for c in b1.conflicts] == [("freeze", True)] and b1.has_blocking_conflict
    assert data.conflict_count >= 2


def test_bulk_conflicts_equal_the_changes_apps_check(scene, make_change, org_a, ci_a, maintenance, month):
    # Around the calendar's edge: a change in October overlapping a1's CI is still found.
    make_change(organization=org_a, title="Edge", start=local(2026, 10, 20), end=local(2026, 10, 27), cis=[ci_a])
    maintenance(organization=org_a, name="One-off", kind="one_off", start=local(2026, 11, 20, 9),
                end=local(2026, 11, 20, 12), blocking=True)
    changes = list(change_calendar_list(user=scene["a1"].created_by, start=month.start, end=month.end))
    bulk = calendar_conflicts(changes, zone=SHANGHAI)
    for change in changes:
        if change.status in ("draft", "submitted", "assessed", "cab_approval", "customer_approval", "scheduled",
                             "implementing"):
            own = change_conflicts(change=change, start=change.planned_start, end=change.planned_end)
            assert sorted((c.kind, c.blocking, c.message) for c in bulk[change.pk]) == sorted(
                (c.kind, c.blocking, c.message) for c in own), change.title


def test_query_count_does_not_grow_with_changes(make_change, org_a, ci_a, operator, month,
                                                django_assert_max_num_queries):
    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            calendar_entries(user=operator, start=month.start, end=month.end, days=month.days, zone=SHANGHAI,
                             organization_id=org_a.pk)
        return len(ctx.captured_queries)

    for day in range(3):
        make_change(organization=org_a, start=local(2026, 11, 2 + day, 9), end=local(2026, 11, 2 + day, 11),
                    cis=[ci_a])
    few = count()
    for day in range(20):
        make_change(organization=org_a, start=local(2026, 11, 5 + day, 9), end=local(2026, 11, 5 + day, 11),
                    cis=[ci_a])
    many = count()
    print(f"calendar_entries queries: {few} with 3 changes, {many} with 23 changes")
    assert many == few <= 10


# --- pages --------------------------------------------------------------------------------------

def test_month_week_and_list_pages(client, scene, operator, org_a):
    client.force_login(operator)
    url = reverse("releases:calendar")
    page = client.get(url, {"date": "2026-11-15"})
    body = page.content.decode()
    assert page.status_code == 200
    for text in (scene["a1"].number, scene["b1"].number, scene["release"].number, "Import Expo", "is-frozen",
                 'data-conflict="1"'):
        assert text in body, text
    week = client.get(url, {"view": "week", "date": "2026-11-15", "organization": org_a.pk}).content.decode()
    assert scene["a1"].number in week and scene["b1"].number not in week and "Saturday night" in week
    assert "Inside the freeze window" in week  # conflicts spelled out in the week view
    listing = client.get(url, {"view": "list", "date": "2026-11-01"}).content.decode()
    assert 'data-day="2026-11-10"' in listing and 'data-day="2026-10-31"' not in listing


def test_bad_parameters_fall_back_not_500(client, operator):
    client.force_login(operator)
    for params in ({"date": "2026-13-45"}, {"view": "decade"}, {"organization": "x"}, {"organization": "9" * 30},
                   {"ci": "-1"}, {"date": "0001-01-01", "view": "week"}):
        assert client.get(reverse("releases:calendar"), params).status_code == 200, params


def test_calendar_page_is_staff_only(db, client, customer_a):
    client.force_login(customer_a)
    assert client.get(reverse("releases:calendar")).status_code == 404
