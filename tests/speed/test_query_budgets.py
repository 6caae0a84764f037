"""Issue 19: query budgets of the hot pages and endpoints (counts, not timings: timings are printed
by benchmarks/bench_speed.py). An incident page with its whole history, the work lists, the API
detail and a create each cost a fixed, small number of SQL statements."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.choices import Role
from incidents.followups import fault_report_save, progress_update_add, spare_loan_create
from incidents.services import incident_create, incident_transition
from tests.factories import CIFactory, ContactFactory, SupportGroupFactory, UserFactory
from tickets.services import ticket_attachment_add, ticket_comment_add, ticket_worklog_add

pytestmark = pytest.mark.django_db

# Issue 19's goal for the incident page: 6 statements, met — session, user, the incident with its
# whole history, clocks and follow-ups (incidents.selectors.incident_page_get), the inbox badge and
# every picker of the page in one UNION ALL (incident_page_pickers).
PAGE_BUDGET = 6
CREATE_BUDGET = 5  # configuration cached, clocks not read back, the audit head written with the row
LIST_BUDGETS = {"/queue/": 8, "/my-work/": 4, "/incidents/": 8}


@pytest.fixture
def busy_incident(org_a, operator, dispatcher, engineer, now):
    """An incident in progress with a history: comments, work logs, attachments, progress updates,
    a fault report draft and a spare loan; 30 engineers in 3 groups."""
    groups = [SupportGroupFactory(name=f"G{i}") for i in range(3)]
    for i in range(30):
        groups[i % 3].members.add(UserFactory(role=Role.ENGINEER))
    groups[0].members.add(engineer)
    inc = incident_create(actor=operator, organization=org_a, title="busy", impact="high", urgency="high",
                          contact=ContactFactory(organization=org_a), ci=CIFactory(organization=org_a),
                          level_reason="", now=now)
    inc = incident_transition(incident_id=inc.pk, actor=dispatcher, action="assign",
                              payload={"assignee": engineer.pk, "group": groups[0].pk}, now=now)
    inc = incident_transition(incident_id=inc.pk, actor=engineer, action="accept", payload={}, now=now)
    for i in range(5):
        ticket_comment_add(ticket=inc, author=operator, body=f"c{i}", public=bool(i % 2), now=now)
        ticket_worklog_add(ticket=inc, author=engineer, minutes=5, note="n", work_date=None, now=now)
        ticket_attachment_add(ticket=inc, author=operator, upload=SimpleUploadedFile("a.txt", b"abc"),
                              public=True, now=now)
        progress_update_add(incident_id=inc.pk, author=engineer, body=f"p{i}", now=now)
    fault_report_save(incident_id=inc.pk, author=engineer, data={"summary": "s"}, version=None, now=now)
    spare_loan_create(incident_id=inc.pk, actor=engineer, description="spare switch", faulty_ci=None,
                      standby_ci=None, note="", now=now)
    for i in range(20):
        incident_create(actor=operator, organization=org_a, title=f"q{i}", now=now)
    return inc


def _count(client, method, url, **kwargs):
    with CaptureQueriesContext(connection) as ctx:
        res = getattr(client, method)(url, **kwargs)
    # Savepoints are transaction control (the test's own transaction turns the service's atomic block
    # into one), not reads or writes: in production the same block is BEGIN ... COMMIT.
    return res, [q["sql"] for q in ctx.captured_queries
                 if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]


def test_incident_page_budget(client, busy_incident, engineer):
    client.force_login(engineer)
    client.get(f"/incidents/{busy_incident.pk}/")  # warm the configuration caches
    res, queries = _count(client, "get", f"/incidents/{busy_incident.pk}/")
    assert res.status_code == 200
    body = res.content.decode()
    assert "c4" in body and "p4" in body and "spare switch" in body  # the history is on the page
    print("incident page", len(queries), *queries, sep="\n  ")
    assert len(queries) <= PAGE_BUDGET, "\n".join(queries)


@pytest.mark.parametrize("url", ["/queue/", "/my-work/", "/incidents/"])
def test_work_list_budget(client, busy_incident, dispatcher, engineer, url):
    client.force_login(engineer if url == "/my-work/" else dispatcher)
    client.get(url)
    res, queries = _count(client, "get", url)
    assert res.status_code == 200
    print(url, len(queries), *queries, sep="\n  ")
    assert len(queries) <= LIST_BUDGETS[url], "\n".join(queries)


def test_api_detail_budget(api_as, busy_incident, engineer):
    client = api_as(engineer)
    client.get(f"/api/v1/incidents/{busy_incident.pk}/")
    res, queries = _count(client, "get", f"/api/v1/incidents/{busy_incident.pk}/")
    assert res.status_code == 200
    print("api detail", len(queries), *queries, sep="\n  ")
    assert len(queries) <= 4, "\n".join(queries)


def test_create_budget(api_as, org_a, operator, busy_incident):
    client = api_as(operator)
    payload = {"organization": org_a.pk, "title": "warm", "impact": "medium", "urgency": "low"}
    assert client.post("/api/v1/incidents/", payload, format="json").status_code == 201
    res, queries = _count(client, "post", "/api/v1/incidents/", data={**payload, "title": "measured"}, format="json")
    assert res.status_code == 201, res.content
    print("create", len(queries), *queries, sep="\n  ")
    assert len(queries) <= CREATE_BUDGET, "\n".join(queries)


def test_queue_carries_the_people_list_once(client, busy_incident, dispatcher):
    """31 engineers, 20 rows in the queue: 31 engineer options in the page, not 31 × 20."""
    client.force_login(dispatcher)
    body = client.get("/queue/").content.decode()
    assert body.count('id="e') >= 20  # a picker per row
    assert body.count('data-groups="') == 31
    bulk = client.get("/incidents/").content.decode()
    assert 'id="bulk-group" name="group" data-group-select' in bulk and bulk.count('data-groups="') == 31


def test_observed_incident_page_budget(client, make_incident, org_a, engineer):
    """An incident under observation shows its checklist too: still within the page's budget."""
    from incidents.models import ObservationItem

    ObservationItem.objects.get_or_create(text="Device back in service", defaults={"position": 1})
    inc = make_incident(organization=org_a, status="observing", assignee=engineer)
    client.force_login(engineer)
    client.get(f"/incidents/{inc.pk}/")  # warm the configuration caches
    res, queries = _count(client, "get", f"/incidents/{inc.pk}/")
    assert res.status_code == 200 and "Device back in service" in res.content.decode()
    assert len(queries) <= PAGE_BUDGET, "\n".join(queries)
