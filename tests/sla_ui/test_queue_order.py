"""Issue #12 item 9: the dispatcher queue puts a new level I above an overdue level IV. Rule: most
severe level first; within a level the breached / nearest deadline first; then the oldest."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection

from incidents.selectors import incident_dispatch_queue
from incidents.sla import sla_sweep

pytestmark = pytest.mark.django_db


def test_new_level_one_above_overdue_level_four(api_as, make_incident, org_a, dispatcher, now):
    overdue_iv = make_incident(organization=org_a, impact="low", urgency="low", title="old-iv",
                               reported_at=now - timedelta(days=3))
    fresh_iv = make_incident(organization=org_a, impact="low", urgency="low", title="fresh-iv")
    new_i = make_incident(organization=org_a, impact="high", urgency="high", title="new-i")
    sla_sweep(now=now)  # the level IV's response target (hours) is long past: breached
    overdue_iv.refresh_from_db()
    assert overdue_iv.sla_next_due < now <= new_i.sla_next_due
    expected = [new_i.pk, overdue_iv.pk, fresh_iv.pk]
    assert [i.pk for i in incident_dispatch_queue(user=dispatcher)] == expected
    client = api_as(dispatcher)
    seen, url = [], "/api/v1/incidents/queue/?page_size=1"
    while url:
        page = client.get(url).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    assert seen == expected  # keyset pages follow the same order


def test_queue_order_reads_the_partial_index(make_incident, org_a, dispatcher):
    for _ in range(3):
        make_incident(organization=org_a, impact="low", urgency="low")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        queue_sql, queue_params = incident_dispatch_queue(user=dispatcher).select_related(None).values("id")[:50] \
            .query.sql_with_params()
        cursor.execute("EXPLAIN " + queue_sql, queue_params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "inc_dispatch_queue" in plan, plan
