"""Issue 19: the incident API serialises named rows (lists) and instances (detail) without DRF's
per-field dispatch, and computes the SLA block once per row. Its output must stay what DRF's generic
path gives with the declared fields (SlaSerializer, SerializerMethodFields): the OpenAPI schema is
built from those. These tests compare the two, byte for byte, for staff and for customers, so any
drift (a field added to Meta.fields, a format change, a new SLA state) fails here."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from rest_framework import serializers as drf
from rest_framework.test import APIRequestFactory, force_authenticate

from incidents.api.serializers import (
    IncidentDetailSerializer,
    IncidentListItemSerializer,
    IncidentSerializer,
    incident_list_rows,
)
from incidents.models import Incident
from incidents.selectors import incident_base
from incidents.services import incident_create, incident_transition
from tests.factories import CIFactory, ContactFactory

pytestmark = pytest.mark.django_db

M = timedelta(minutes=1)


def reference(serializer_class: type[IncidentSerializer], instance: Incident, context: dict[str, Any]) -> Any:
    """DRF's own field-by-field representation (the path the schema describes), for one fresh instance."""
    fresh = Incident.objects.get(pk=instance.pk)
    return drf.Serializer.to_representation(serializer_class(fresh, context=dict(context)), fresh)


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)  # key order included: same keys, same order, same values


@pytest.fixture
def incidents(org_a, operator, dispatcher, engineer, now):
    """Untouched, responded (met), pending (paused, business hours for level IV), level I, resolved,
    with and without contact, CI and assignee; far enough back that some targets are overdue."""
    contact, ci = ContactFactory(organization=org_a), CIFactory(organization=org_a)
    plain = incident_create(actor=operator, organization=org_a, title="plain", now=now - 600 * M,
                            reported_at=now - 600 * M)
    full = incident_create(actor=operator, organization=org_a, title="full", description="long text " * 50,
                           contact=contact, ci=ci, impact="high", urgency="high", now=now - 300 * M,
                           reported_at=now - 300 * M)
    incident_transition(incident_id=full.pk, actor=dispatcher, action="assign", payload={"assignee": engineer.pk},
                        now=now - 290 * M)
    incident_transition(incident_id=full.pk, actor=engineer, action="accept", now=now - 280 * M)
    paused = incident_create(actor=operator, organization=org_a, title="paused 待定", now=now - 60 * M,
                             reported_at=now - 60 * M)
    incident_transition(incident_id=paused.pk, actor=dispatcher, action="assign", payload={"assignee": engineer.pk},
                        now=now - 50 * M)
    incident_transition(incident_id=paused.pk, actor=engineer, action="accept", now=now - 45 * M)
    incident_transition(incident_id=paused.pk, actor=engineer, action="pend", payload={"reason": "no access"},
                        now=now - 40 * M)
    major = incident_create(actor=operator, organization=org_a, title="major", fault_level="I",
                            level_reason="hospital down", now=now)
    done = incident_create(actor=operator, organization=org_a, title="done", now=now - 200 * M,
                           reported_at=now - 200 * M)
    incident_transition(incident_id=done.pk, actor=dispatcher, action="assign", payload={"assignee": engineer.pk},
                        now=now - 190 * M)
    incident_transition(incident_id=done.pk, actor=engineer, action="accept", now=now - 185 * M)
    incident_transition(incident_id=done.pk, actor=engineer, action="resolve",
                        payload={"resolution": "replaced the fan", "cause_category": "hardware"}, now=now - 100 * M)
    return [plain, full, paused, major, done]


def _context(user: Any, now: Any) -> dict[str, Any]:
    request = APIRequestFactory().get("/api/v1/incidents/")
    force_authenticate(request, user=user)
    from rest_framework.request import Request

    return {"request": Request(request), "now": now}


@pytest.mark.parametrize("who", ["dispatcher", "customer_a"])
def test_list_rows_give_what_drf_gives(request, who, incidents, now):
    user = request.getfixturevalue(who)
    context = _context(user, now + 700 * M)  # some targets overdue by then
    qs = incident_base(user=user).order_by("id")
    fast = IncidentListItemSerializer(incident_list_rows(qs), many=True, context=context).data
    old = [reference(IncidentListItemSerializer, row, context) for row in qs]
    assert len(fast) == len(incidents)
    assert dumps(fast) == dumps(old)
    states = {t["state"] for r in fast for t in r["sla"]["targets"]}
    assert {"met", "paused", "running"} <= states
    assert any(r["sla"]["breached"] for r in fast)


@pytest.mark.parametrize("who", ["dispatcher", "engineer", "customer_a"])
def test_detail_gives_what_drf_gives(request, who, incidents, now):
    user = request.getfixturevalue(who)
    context = _context(user, now + 700 * M)
    for incident in incidents:
        fast = IncidentDetailSerializer(Incident.objects.get(pk=incident.pk), context=context).data
        assert dumps(fast) == dumps(reference(IncidentDetailSerializer, incident, context))
        assert list(fast) == IncidentDetailSerializer.Meta.fields


@pytest.mark.parametrize("who,urls", [
    ("dispatcher", ["/api/v1/incidents/", "/api/v1/incidents/queue/"]),
    ("engineer", ["/api/v1/incidents/mine/"]),
    ("customer_a", ["/api/v1/incidents/"]),
])
def test_api_lists_and_detail_give_what_drf_gives(request, api_as, who, urls, incidents, now):
    """Through the views (values rows, keyset pages, the lean detail read), at a frozen instant."""
    user = request.getfixturevalue(who)
    client = api_as(user)
    at = now + 700 * M
    context = _context(user, at)
    with time_machine.travel(at, tick=False):
        for url in urls:
            rows = client.get(url, {"page_size": 2}).json()
            seen = list(rows["results"])
            while rows["next"]:
                rows = client.get(rows["next"]).json()
                seen.extend(rows["results"])
            assert seen
            by_id = {i.pk: i for i in incidents}
            assert dumps(seen) == dumps([reference(IncidentListItemSerializer, by_id[r["id"]], context) for r in seen])
        for incident in incidents:
            body = client.get(f"/api/v1/incidents/{incident.pk}/").json()
            assert dumps(body) == dumps(reference(IncidentDetailSerializer, incident, context))


def test_create_response_gives_what_drf_gives(api_as, operator, org_a):
    client = api_as(operator)
    body = client.post("/api/v1/incidents/", {"organization": org_a.pk, "title": "new", "impact": "high",
                                              "urgency": "medium"}, format="json").json()
    incident = Incident.objects.get(pk=body["id"])
    from django.utils.dateparse import parse_datetime

    at = parse_datetime(body["created_at"])
    context = _context(operator, at)
    want = reference(IncidentDetailSerializer, incident, context)
    # seconds_left counts down from the request's instant; everything else is fixed
    for target in [*body["sla"]["targets"], *want["sla"]["targets"]]:
        target.pop("seconds_left")
    assert dumps(body) == dumps(want)
    assert body["sla"]["targets"]


# --- the lists PostgreSQL writes (incidents/api/listjson.py) --------------------------------------

SQL_PAGE = "AS needs_python"  # in the statement of a page PostgreSQL writes (listjson._page_sql)

LIST_URLS = [
    ("dispatcher", "/api/v1/incidents/"), ("dispatcher", "/api/v1/incidents/queue/"),
    ("engineer", "/api/v1/incidents/mine/"), ("customer_a", "/api/v1/incidents/"),
]


def _bodies(client: Any, url: str, monkeypatch: Any, **params: Any) -> tuple[bytes, bytes, list[str]]:
    """(the page as served, the page with the SQL path switched off, the statements of the first)."""
    from django.db import connection

    import incidents.api.views as views

    statements: list[str] = []

    def capture(execute: Any, sql: str, *args: Any) -> Any:
        statements.append(sql)
        return execute(sql, *args)

    with connection.execute_wrapper(capture):
        fast = client.get(url, params).content
    with monkeypatch.context() as patch:
        patch.setattr(views, "incident_list_json_page", lambda *args, **kwargs: None)
        slow = client.get(url, params).content
    return fast, slow, statements


def _walk(client: Any, url: str, monkeypatch: Any, *, sql: bool) -> list[dict[str, Any]]:
    """Every page of `url` (2 rows a page, forwards, and the first page again backwards), each compared
    byte for byte with the Python path's; `sql`: the page must have been written by PostgreSQL."""
    from django.db import connection

    sql = sql and connection.vendor == "postgresql"  # elsewhere every page takes the Python path
    seen: list[dict[str, Any]] = []
    page: str | None = url
    params: dict[str, Any] = {"page_size": 2}
    last = None
    while page:
        fast, slow, statements = _bodies(client, page, monkeypatch, **params)
        assert fast == slow
        assert any(SQL_PAGE in s for s in statements) is sql, (page, [s[:80] for s in statements])
        last = json.loads(fast)
        seen.extend(last["results"])
        page, params = last["next"], {}
    assert last is not None
    if last["previous"]:
        fast, slow, _ = _bodies(client, last["previous"], monkeypatch)
        assert fast == slow
    return seen


@pytest.mark.parametrize("who,url", LIST_URLS)
def test_sql_pages_are_the_python_pages(request, api_as, monkeypatch, who, url, incidents, now):
    client = api_as(request.getfixturevalue(who))
    with time_machine.travel(now + 700 * M, tick=False):
        assert _walk(client, url, monkeypatch, sql=True)


def test_sql_pages_with_hostile_text_and_odd_instants(api_as, monkeypatch, dispatcher, customer_a, incidents, now):
    """Strings that JSON escapes (quotes, backslash, control characters, U+2028/2029 which DRF escapes
    too), non-ASCII text, microseconds with trailing zeros and none at all; a timestamp from before
    the zone's offset became fixed (Shanghai kept summer time until 1991: the row goes through Python)."""
    plain, full, *_ = incidents
    odd = 'q " b \\ n \n t \t c \x01 \x1f ls \u2028 ps \u2029 中文 😀 </script> \x7f'
    Incident.objects.filter(pk=plain.pk).update(title=odd, description=odd * 3,
                                                reported_at=now.replace(microsecond=500000))
    Incident.objects.filter(pk=full.pk).update(created_at=now.replace(microsecond=0),
                                               updated_at=now.replace(year=1988, month=7, day=1))
    for user in (dispatcher, customer_a):
        client = api_as(user)
        with time_machine.travel(now + 700 * M, tick=False):
            rows = _walk(client, "/api/v1/incidents/", monkeypatch, sql=True)
        assert odd in {r["title"] for r in rows}
        assert b"\\u2028" in client.get("/api/v1/incidents/").content


@pytest.mark.parametrize("zone,sql", [("UTC", True), ("Asia/Kolkata", True), ("America/St_Johns", False),
                                      ("Europe/Berlin", False)])
def test_sql_pages_in_other_time_zones(api_as, monkeypatch, dispatcher, incidents, now, zone, sql):
    """A zone with one offset is written by PostgreSQL ("Z" for UTC, +05:30); one with daylight saving
    time takes the Python path. Either way the page is the Python page."""
    from django.utils import timezone

    client = api_as(dispatcher)
    with time_machine.travel(now + 700 * M, tick=False), timezone.override(zone):
        rows = _walk(client, "/api/v1/incidents/", monkeypatch, sql=sql)
    if zone == "UTC":
        assert rows[0]["created_at"].endswith("Z")


def test_sql_page_keeps_tenancy(api_as, monkeypatch, customer_a, customer_b, operator, org_b, incidents, now):
    """The statement wraps the selector's own query: a customer sees its organisation only."""
    other = incident_create(actor=operator, organization=org_b, title="org b", now=now)
    with time_machine.travel(now + 700 * M, tick=False):  # one instant: seconds_left counts down
        seen = {r["id"] for r in _walk(api_as(customer_a), "/api/v1/incidents/", monkeypatch, sql=True)}
        assert seen == {i.pk for i in incidents}
        assert {r["id"] for r in _walk(api_as(customer_b), "/api/v1/incidents/", monkeypatch, sql=True)} == {other.pk}


def test_sql_page_for_other_renderers(api_as, dispatcher, incidents, now):
    """The browsable API and an indented JSON get the same data rendered as usual. At one frozen
    instant: `seconds_left` counts down, and two requests a second apart differ by one."""
    client = api_as(dispatcher)
    with time_machine.travel(now + 700 * M, tick=False):
        compact = client.get("/api/v1/incidents/")
        indented = client.get("/api/v1/incidents/", HTTP_ACCEPT="application/json; indent=2")
    assert indented.content.startswith(b'{\n  "next"')
    assert json.loads(indented.content) == json.loads(compact.content) == compact.data
    html = client.get("/api/v1/incidents/", HTTP_ACCEPT="text/html")
    assert html.status_code == 200 and b"INC-" in html.content


def test_fixed_zone_offsets():
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from opsdesk.jsonrows import fixed_zone

    assert fixed_zone(ZoneInfo("Europe/Berlin")) is None
    for key in ("Asia/Shanghai", "UTC", "Asia/Kolkata", "America/Sao_Paulo"):
        zone = fixed_zone(ZoneInfo(key))
        assert zone is not None
        at = max(zone.since, datetime(1900, 1, 1, tzinfo=UTC))
        for day in range(0, 40 * 366, 7):
            assert (at + timedelta(days=day)).astimezone(ZoneInfo(key)).utcoffset() == zone.shift
    shanghai = fixed_zone(ZoneInfo("Asia/Shanghai"))
    assert shanghai is not None and shanghai.suffix == "+08:00" and shanghai.since.year == 1991
    assert (shanghai.since - timedelta(seconds=1)).astimezone(ZoneInfo("Asia/Shanghai")).utcoffset() != shanghai.shift


def _prepared_first_pages() -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [s for (s,) in cursor.fetchall() if SQL_PAGE in s]


def test_first_pages_compiled_once_follow_each_engineer(api_as, monkeypatch, dispatcher, engineer, other_engineer,
                                                         operator, org_a, incidents, now):
    """/mine/ and /queue/ first pages come from a statement compiled once per process and visibility,
    prepared per connection; the engineer's id is put in for each request: the second engineer gets
    his own incidents from the first one's statement, the same bytes as the Python path."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the compiled first page is PostgreSQL's")
    theirs = incident_create(actor=operator, organization=org_a, title="the other engineer's", now=now - 30 * M,
                             reported_at=now - 30 * M)
    incident_transition(incident_id=theirs.pk, actor=dispatcher, action="assign",
                        payload={"assignee": other_engineer.pk}, now=now - 20 * M)
    incident_create(actor=operator, organization=org_a, title="queued too", now=now - 10 * M, reported_at=now - 10 * M)
    with time_machine.travel(now + 700 * M, tick=False):
        mine = {}
        for user in (engineer, other_engineer, engineer):
            fast, slow, statements = _bodies(api_as(user), "/api/v1/incidents/mine/", monkeypatch)
            assert fast == slow
            assert any(SQL_PAGE in s for s in statements)
            mine[user.pk] = {r["title"] for r in json.loads(fast)["results"]}
        assert mine[engineer.pk] == {"full", "paused 待定"}  # open and assigned to him; "done" is resolved
        assert mine[other_engineer.pk] == {"the other engineer's"}
        for size, rows in (({"page_size": 1}, 1), ({}, 3), ({"page_size": 1}, 1)):  # the size is in the statement
            fast, slow, _ = _bodies(api_as(dispatcher), "/api/v1/incidents/queue/", monkeypatch, **size)
            assert fast == slow and len(json.loads(fast)["results"]) == rows
        prepared = _prepared_first_pages()
        assert any("assignee_id" in s for s in prepared), prepared  # /mine/, once for both engineers
        assert len([s for s in prepared if "assignee_id\" = $" in s]) == 1, prepared
        # Everything but the engineer's id is written in (the statuses among it), so PostgreSQL
        # can keep one plan: after its five first runs it stops planning each one.
        for user in (engineer, other_engineer) * 4:
            api_as(user).get("/api/v1/incidents/mine/")
        for _ in range(7):
            api_as(dispatcher).get("/api/v1/incidents/queue/")
        plans = _plans()
        mine_plans = [p for s, p in plans.items() if "assignee_id\" = $" in s]
        queue_plans = [p for s, p in plans.items() if "assignee_id\" IS NULL" in s and "'new'" in s]
        assert mine_plans and all(generic > 0 for generic, _custom in mine_plans), plans
        assert queue_plans and any(generic > 0 for generic, _custom in queue_plans), plans


def _plans() -> dict[str, tuple[int, int]]:
    """(generic plans, custom plans) of each prepared first page, by its statement."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements")
        return {s: (generic, custom) for s, generic, custom in cursor.fetchall() if SQL_PAGE in s}


def test_first_page_with_parameters_takes_the_usual_path(api_as, monkeypatch, dispatcher, incidents, now):
    """Only a first page with at most a page size reuses the compiled statement: a filter narrows, an
    ordering is refused as before, a cursor continues where the compiled page ended."""
    client = api_as(dispatcher)
    with time_machine.travel(now + 700 * M, tick=False):
        everything = json.loads(client.get("/api/v1/incidents/queue/").content)["results"]
        assert {r["fault_level"] for r in everything} > {"I"}
        fast, slow, _ = _bodies(client, "/api/v1/incidents/queue/", monkeypatch, fault_level="I")
        assert fast == slow and {r["title"] for r in json.loads(fast)["results"]} == {"major"}
        assert client.get("/api/v1/incidents/queue/", {"ordering": "title"}).status_code == 400
        first = json.loads(client.get("/api/v1/incidents/queue/", {"page_size": 1}).content)
        seen, page = list(first["results"]), first["next"]
        while page:
            fast, slow, _ = _bodies(client, page, monkeypatch)
            assert fast == slow
            seen.extend(json.loads(fast)["results"])
            page = json.loads(fast)["next"]
        assert [r["id"] for r in seen] == [r["id"] for r in everything]


def test_filtered_list_compiled_per_reader_and_values(api_as, monkeypatch, operator, dispatcher, customer_a,
                                                      customer_b, org_b, incidents, now):
    """The list filtered by value-only filters keeps its statement per reader's visibility and per
    values: organisation B's customer, asking what organisation A's asked, gets B's incidents; other
    values get their own rows; a bad value is refused every time; a filter on the clock or the user
    (sla, mine) is not kept."""
    theirs = incident_create(actor=operator, organization=org_b, title="B's", now=now - 5 * M, reported_at=now - 5 * M)
    url = "/api/v1/incidents/"
    with time_machine.travel(now + 700 * M, tick=False):
        titles = {}
        for who, params in ((customer_a, {"status": "new"}), (customer_b, {"status": "new"}),
                            (customer_a, {"status": "new"}), (customer_a, {"status": "resolved"}),
                            (dispatcher, {"status": "new", "page_size": 2}), (dispatcher, {"status": "new"}),
                            (dispatcher, {"organization": org_b.pk}), (dispatcher, {"sla": "breached"}),
                            (dispatcher, {"mine": "true"})):
            fast, slow, _ = _bodies(api_as(who), url, monkeypatch, **params)
            assert fast == slow, (who, params)
            titles[who.username, tuple(params.items())] = {r["title"] for r in json.loads(fast)["results"]}
        assert titles["cust_a", (("status", "new"),)] == {"plain", "major"}
        assert titles["cust_b", (("status", "new"),)] == {"B's"}
        assert titles["cust_a", (("status", "resolved"),)] == {"done"}
        assert titles["dispatcher", (("status", "new"),)] == {"plain", "major", "B's"}
        assert len(titles["dispatcher", (("status", "new"), ("page_size", 2))]) == 2
        assert titles["dispatcher", (("organization", org_b.pk),)] == {"B's"}
        for _ in range(2):
            bad = api_as(dispatcher).get(url, {"status": "no-such"})
            assert bad.status_code == 400 and "status" in bad.json()
    from django.db import connection

    if connection.vendor == "postgresql":  # prepared once per values, with the values written in
        prepared = [s for s in _prepared_first_pages() if " r.id, " in s and "status" in s]
        assert any("\"status\" = 'new'" in s for s in prepared), prepared
        assert any("\"status\" = 'resolved'" in s for s in prepared), prepared
        assert any(f"\"organization_id\" = {org_b.pk}" in s for s in prepared), prepared
    assert theirs.pk
