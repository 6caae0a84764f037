"""Lists cost a fixed number of queries: adding rows must not add queries (DESIGN.md rule 6)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.choices import Role
from incidents.services import incident_create
from tests.factories import CIFactory, ContactFactory, UserFactory
from tickets.services import request_create, ticket_attachment_add, ticket_comment_add, ticket_worklog_add

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(org_a, operator, engineer, now):
    """Grows the data set: call it with n to have n rows in every list."""
    state = {"n": 0}
    target = incident_create(actor=operator, organization=org_a, title="timeline", now=now)
    req_target = request_create(actor=operator, organization=org_a, title="r", request_type="consultation", now=now)

    def grow(n):
        for i in range(state["n"], n):
            contact = ContactFactory(organization=org_a)
            ci = CIFactory(organization=org_a)
            UserFactory(role=Role.CUSTOMER, organization=org_a)
            from tests.factories import OrganizationFactory

            OrganizationFactory()
            inc = incident_create(actor=operator, organization=org_a, title="x", contact=contact, ci=ci, now=now)
            if i % 2:
                inc.assignee = engineer
                inc.save(update_fields=["assignee"])
            request_create(actor=operator, organization=org_a, title="r", request_type="consultation", now=now)
            for ticket in (target, req_target):
                ticket_comment_add(ticket=ticket, author=operator, body="c", public=True, now=now)
                ticket_worklog_add(ticket=ticket, author=engineer, minutes=5, note="n", work_date=None, now=now)
                ticket_attachment_add(ticket=ticket, author=operator, upload=SimpleUploadedFile("a.txt", b"abc"),
                                      public=True, now=now)
        state["n"] = n
        return target, req_target

    return grow


LISTS = [
    "/api/v1/incidents/", "/api/v1/incidents/?status=new&fault_level=IV", "/api/v1/incidents/queue/",
    "/api/v1/incidents/mine/", "/api/v1/requests/", "/api/v1/users/", "/api/v1/organizations/",
    "/api/v1/contacts/", "/api/v1/cis/", "/api/v1/cis/?ci_class=server",
    "/api/v1/incidents/{inc}/comments/", "/api/v1/incidents/{inc}/worklogs/",
    "/api/v1/incidents/{inc}/attachments/", "/api/v1/incidents/{inc}/events/",
    "/api/v1/requests/{req}/comments/", "/api/v1/requests/{req}/worklogs/",
    "/api/v1/requests/{req}/attachments/", "/api/v1/requests/{req}/events/",
]


def count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        res = client.get(url)
    assert res.status_code == 200, (url, res.content)
    return len(ctx.captured_queries), len(res.json()["results"])


@pytest.mark.parametrize("user_fixture", ["engineer", "customer_a"])
def test_list_query_counts_do_not_grow_with_rows(request, api_as, world, user_fixture,
                                                 django_assert_max_num_queries):
    user = request.getfixturevalue(user_fixture)
    client = api_as(user)
    inc, req = world(3)
    small = {}
    for url in LISTS:
        url = url.format(inc=inc.pk, req=req.pk)
        if user.is_customer and ("worklogs" in url or "queue" in url or "mine" in url):
            continue
        small[url] = count(client, url)[0]
    world(30)
    for url, before in small.items():
        with django_assert_max_num_queries(4):
            after, rows = count(client, url)
        assert rows >= 10 or (user.is_customer and url.endswith("/organizations/")), url
        assert after == before, f"{url}: {before} queries with 3 rows, {after} with 30"
