"""opsdesk.statements (issue 19): the incident page's statement compiled once per visibility and prepared
per connection gives the same incident as the plain queryset, and never crosses organisations."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.http import Http404

from accounts.choices import Role
from incidents.models import Incident
from incidents.selectors import incident_page_get
from opsdesk import statements
from opsdesk.jsonrows import json_supported
from tests.factories import UserFactory
from tickets.models import TicketQuerySet
from tickets.services import ticket_comment_add, ticket_worklog_add

pytestmark = pytest.mark.django_db


def _users(org_a: Any, org_b: Any) -> dict[str, Any]:
    return {
        "superuser": UserFactory(role=Role.CUSTOMER, organization=org_a, is_superuser=True),
        "dispatcher": UserFactory(role=Role.DISPATCHER),
        "engineer": UserFactory(role=Role.ENGINEER),
        "customer_a": UserFactory(role=Role.CUSTOMER, organization=org_a),
        "customer_a2": UserFactory(role=Role.CUSTOMER, organization=org_a),
        "customer_b": UserFactory(role=Role.CUSTOMER, organization=org_b),
        "inactive": UserFactory(role=Role.DISPATCHER, is_active=False),
        "inactive_customer": UserFactory(role=Role.CUSTOMER, organization=org_a, is_active=False),
    }


def test_visibility_key_names_everything_visible_to_reads(org_a, org_b):
    """Users with the same key get the same visibility SQL and parameters; different organisations
    and active/inactive differ."""
    users = _users(org_a, org_b)
    by_key: dict[Any, set[str]] = {}
    for user in users.values():
        qs = Incident.objects.visible_to(user)
        try:
            sql = qs.query.sql_with_params()
        except Exception:  # noqa: BLE001  (.none(): EmptyResultSet)
            sql = ("empty",)
        by_key.setdefault(TicketQuerySet.visibility_key(user), set()).add(repr(sql))
    assert all(len(sqls) == 1 for sqls in by_key.values()), by_key
    keys = {name: TicketQuerySet.visibility_key(user) for name, user in users.items()}
    assert keys["customer_a"] == keys["customer_a2"] != keys["customer_b"]
    assert keys["dispatcher"] == keys["engineer"] == keys["superuser"]
    assert keys["inactive"] == keys["inactive_customer"] != keys["dispatcher"]


def _same(a: Incident, b: Incident) -> None:
    """Every field, select_related object and page list of `a` as in `b`."""
    for field in Incident._meta.concrete_fields:
        assert getattr(a, field.attname) == getattr(b, field.attname), field.name
    for name in ("organization", "contact", "assignee", "group", "created_by", "ci"):
        assert Incident._meta.get_field(name).is_cached(a), name
        assert getattr(a, name) == getattr(b, name), name
    for name in ("page_timeline", "page_progress", "page_loans", "page_observation"):
        assert [repr(x) for x in getattr(a, name)] == [repr(x) for x in getattr(b, name)], name
    assert a.fresh_sla_clocks.keys() == b.fresh_sla_clocks.keys()
    assert a.page_report == b.page_report


@pytest.mark.skipif(not json_supported(), reason="the page's one statement is PostgreSQL's")
def test_incident_page_compiled_once_matches_the_queryset(org_a, org_b, make_incident, engineer, now):
    statements.compiled_clear()
    users = _users(org_a, org_b)
    first = make_incident(organization=org_a, status="in_progress", assignee=engineer)
    second = make_incident(organization=org_a, title="second")
    other = make_incident(organization=org_b, title="other org")
    for inc in (first, second):
        ticket_comment_add(ticket=inc, author=engineer, body=f"note on {inc.pk}", public=False, now=now)
        ticket_comment_add(ticket=inc, author=engineer, body=f"reply on {inc.pk}", public=True, now=now)
        ticket_worklog_add(ticket=inc, author=engineer, minutes=15, note="on site", work_date=None, now=now)

    def plain(user: Any, pk: int) -> Incident:
        """The same page through the plain queryset, built and compiled for this call."""
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("incidents.selectors.compiled_get",
                          lambda *, model, shape, build, key: build(key).first())
            return incident_page_get(user=user, pk=pk)

    for name in ("dispatcher", "engineer", "customer_a", "customer_a2"):
        for inc in (first, second, first):  # compiled with the first, reused for the others
            _same(incident_page_get(user=users[name], pk=inc.pk), plain(users[name], inc.pk))
    customer_view = incident_page_get(user=users["customer_a"], pk=first.pk)
    assert [getattr(x, "body", None) for x in customer_view.page_timeline if hasattr(x, "body")] == [
        f"reply on {first.pk}"]  # public comments only, no work logs
    staff_view = incident_page_get(user=users["dispatcher"], pk=first.pk)
    assert {type(x).__name__ for x in staff_view.page_timeline} >= {"Comment", "WorkLog"}

    # Tenancy: org A's statements are cached; org B's customer still sees only org B.
    assert incident_page_get(user=users["customer_b"], pk=other.pk).pk == other.pk
    for name, pk in (("customer_b", first.pk), ("customer_a", other.pk), ("inactive", first.pk),
                     ("inactive_customer", first.pk), ("dispatcher", 10**12), ("dispatcher", 2**63),
                     ("dispatcher", 10**20), ("customer_a", 2**63)):  # beyond int8: 404, never a 500
        with pytest.raises(Http404):
            incident_page_get(user=users[name], pk=pk)
    # One compiled statement per visibility shape, not per user or incident.
    shapes = {shape for shape, _db in statements._compiled}
    assert shapes == {
        ("incident_page", ("all",), False),
        ("incident_page", ("organization", org_a.pk), True),
        ("incident_page", ("organization", org_b.pk), True),
        ("incident_page", ("none",), False),
        ("incident_page", ("none",), True),
    }


@pytest.mark.skipif(connection.vendor != "postgresql", reason="server-side prepared statements are PostgreSQL's")
def test_prepared_only_inside_the_block(org_a, make_incident, dispatcher):
    inc = make_incident(organization=org_a)
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    connection.connection._prepared.clear()  # psycopg's own record of what it prepared

    def prepared_count() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["%opsdesk-probe%"])
            return cursor.fetchone()[0]

    for _ in range(10):  # Django's own cursors bind client-side and never prepare
        list(Incident.objects.filter(pk=inc.pk).extra(where=["'opsdesk-probe' <> ''"]))
    assert prepared_count() == 0
    with statements.prepared(connection):
        list(Incident.objects.filter(pk=inc.pk).extra(where=["'opsdesk-probe' <> ''"]))
    assert prepared_count() == 1
    assert not isinstance(connection.connection.cursor_factory, type) or \
        connection.connection.cursor_factory.__name__ != "PreparingCursor"  # restored after the block
    statements.compiled_clear()
    incident_page_get(user=dispatcher, pk=inc.pk)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ['%"j_events"%'])
        assert cursor.fetchone()[0] == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the driver's literals are PostgreSQL's")
def test_inline_values_writes_what_the_parameters_meant(org_a, make_incident):
    """inline_values writes each parameter as the driver's literal (hostile text, a percent sign, a
    time, an integer) and keeps those asked for as parameters: the statement reads the same rows."""
    from datetime import UTC, datetime

    inc = make_incident(organization=org_a)
    hostile = "x' OR 1=1 -- %s %% \\ \u4e2d\u6587 ' \" \n"
    sql = ("SELECT %s::text, %s::timestamptz, id FROM incidents_incident WHERE id = %s AND organization_id = %s"
           " AND title <> %s AND '%%' = '%%'")
    params = [hostile, datetime(2026, 9, 1, 0, 0, tzinfo=UTC), inc.pk, org_a.pk, "%s"]
    written, kept = statements.inline_values(connection, sql, params, keep=(2,))
    placeholders = [m for m in re.findall(r"%%|%s", written) if m == "%s"]
    assert kept == (inc.pk,) and placeholders == ["%s"]  # the kept one; the percent signs in literals doubled
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        expected = cursor.fetchall()
        cursor.execute(written, kept)
        assert cursor.fetchall() == expected == [(hostile, params[1], inc.pk)]
    with pytest.raises(ValueError, match="more parameters"):
        statements.inline_values(connection, "SELECT %s", [1, 2])
    with pytest.raises(ValueError, match="fewer parameters"):
        statements.inline_values(connection, "SELECT %s, %s", [1])


def test_page_pickers_compiled_once_follow_the_organisation(org_a, org_b, dispatcher):
    """incident_page_pickers' UNION ALL is compiled once; each organisation still gets its own contacts
    and CIs (the organisation is the statement's one varying value), and new rows show at once."""
    from incidents.selectors import incident_page_pickers
    from tests.factories import CIFactory, ContactFactory

    statements.compiled_clear()
    ContactFactory(organization=org_a, name="Ann A")
    ContactFactory(organization=org_b, name="Bob B")
    CIFactory(organization=org_a, name="switch-a")
    CIFactory(organization=org_b, name="switch-b")

    def names(org: Any, kind: str) -> list[str]:
        return [label for _pk, label, _attrs in incident_page_pickers(user=dispatcher, organization_id=org)[kind]]

    for _ in range(2):
        assert [n.split(" · ")[0] for n in names(org_a.pk, "contact")] == ["Ann A"]
        assert [n.split(" · ")[0] for n in names(org_b.pk, "contact")] == ["Bob B"]
        assert [n.split(" · ")[0] for n in names(org_a.pk, "ci")] == ["switch-a"]
        assert names(None, "contact") == [] and names(None, "ci") == []
    CIFactory(organization=org_a, name="router-a")
    assert sorted(n.split(" · ")[0] for n in names(org_a.pk, "ci")) == ["router-a", "switch-a"]
    assert len([s for s, _db in statements._compiled if s[0][0] == "incident_page_pickers"]) == 2  # with, without


def test_html_work_lists_compiled_once_follow_each_user(org_a, org_b, make_incident):
    """/my-work/'s first page and /queue/ come from statements compiled once per visibility (the
    engineer's id put in), prepared where PostgreSQL is used: the same named rows as the querysets
    they replace, for a second engineer after the first one's statement was compiled."""
    from incidents.selectors import (
        incident_dispatch_queue,
        incident_my_work,
        incident_my_work_first_page,
        incident_queue_rows,
        incident_work_page,
        incident_work_rows,
    )

    one, two = UserFactory(role=Role.ENGINEER), UserFactory(role=Role.ENGINEER)
    dispatcher = UserFactory(role=Role.DISPATCHER)
    for i in range(3):
        make_incident(organization=org_a, assignee=one, status="in_progress", title=f"one {i}")
    make_incident(organization=org_b, assignee=two, status="in_progress", title="two")
    make_incident(organization=org_b, title="queued")
    for size in (2, 5):
        for user in (one, two, one):
            got, cursor = incident_my_work_first_page(user=user, size=size)
            want, want_cursor = incident_work_page(incident_work_rows(incident_my_work(user=user)), after=None, size=size)
            assert got == want and cursor == want_cursor and got, (user, size)
            assert [r._fields for r in got] == [r._fields for r in want]
            assert {r.assignee_id for r in got} == {user.pk}
        queue = incident_queue_rows(user=dispatcher, size=size)
        assert queue == list(incident_work_rows(incident_dispatch_queue(user=dispatcher))[:size])
        assert "queued" in {r.title for r in queue}
    assert incident_my_work_first_page(user=one, size=2)[1] is not None  # three rows: a next page
    if connection.vendor == "postgresql":
        # One generic plan per statement for every engineer (settings: plan_cache_mode), never planned
        # anew per run: the my-work rows' engineer id is the one parameter left.
        for _ in range(7):
            for user in (one, two):
                incident_my_work_first_page(user=user, size=5)
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements"
                           " WHERE statement LIKE '%%assignee_id\" = $%%'")
            plans = cursor.fetchall()
        assert plans and all(custom == 0 for _s, _generic, custom in plans), plans
        assert max(generic for _s, generic, _custom in plans) >= 14, plans
