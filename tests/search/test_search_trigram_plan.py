"""Issue #12: on PostgreSQL the words of the search box are answered by the trigram GIN indexes —
the index expression is exactly what `icontains` compiles to (UPPER(col::text) LIKE UPPER(…)), so
the planner can use it. With sequential and plain index scans disabled, a plan that could not use
the trigram index would still be a Seq Scan; it must be a Bitmap Index Scan on it instead.
(The figures at 200,000 incidents, where the planner picks the index on its own: docs/search.md.)"""

from __future__ import annotations

import pytest
from django.db import connection

from incidents.models import Incident
from tickets.models import ServiceRequest

pytestmark = pytest.mark.django_db


def plan(qs) -> str:
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize(("model", "prefix"), [(Incident, "inc"), (ServiceRequest, "req")])
@pytest.mark.parametrize("column", ["number", "title", "description"])
def test_icontains_uses_the_trigram_index(model, prefix, column):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (SQLite scans; test_search_complete runs there)")
    text = plan(model.objects.filter(**{f"{column}__icontains": "漏水告警"}))
    assert f"Bitmap Index Scan on {prefix}_trgm_{column}" in text, text
    assert "Seq Scan" not in text, text
