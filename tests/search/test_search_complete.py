"""Issue #12: the search box's words over every organisation find a match of any age — the old cap
(the newest 30,000 incidents / requests) is gone. The cheap way to build "older than the newest N
rows": lower SEARCH_RECENT_ROWS to 5 and write 6 newer incidents. Runs on PostgreSQL and SQLite."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings

from search.selectors import global_search

pytestmark = pytest.mark.django_db


@override_settings(SEARCH_RECENT_ROWS=5)
def test_a_match_older_than_the_newest_rows_is_found(make_incident, org_a, org_b, dispatcher, now):
    old = make_incident(organization=org_a, title="机房漏水告警 old", reported_at=now - timedelta(days=900))
    for n in range(6):
        make_incident(organization=org_b, title=f"打印机卡纸 {n}")
    groups = {g.kind: g for g in global_search(user=dispatcher, q="机房漏水告警", now=now)}
    assert [h.label for h in groups["incident"].hits] == [f"{old.number} {old.title}"]
    # two words (any order), of the old row only
    groups = {g.kind: g for g in global_search(user=dispatcher, q="漏水告警 old", now=now)}
    assert len(groups["incident"].hits) == 1


@override_settings(SEARCH_RECENT_ROWS=3)
def test_newest_matches_first_across_the_recent_and_older_rows(make_incident, org_a, dispatcher, now):
    made = [make_incident(organization=org_a, title=f"交换机掉线 {n}", reported_at=now - timedelta(days=10 - n))
            for n in range(10)]
    for n in range(4):
        make_incident(organization=org_a, title=f"空调告警 {n}")
    groups = {g.kind: g for g in global_search(user=dispatcher, q="交换机掉线", now=now)}
    labels = [h.label for h in groups["incident"].hits]
    assert labels == [f"{i.number} {i.title}" for i in reversed(made)][:8]
