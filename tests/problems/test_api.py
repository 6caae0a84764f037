"""Problems API: create (directly and from incidents), filters, PATCH with version (409), actions,
known-error search, tenancy (customers read their own organisation's, write nothing)."""

from __future__ import annotations

import pytest

from problems.choices import ProblemStatus
from problems.models import Problem
from problems.services import problem_transition

pytestmark = pytest.mark.django_db

URL = "/api/v1/problems/"


def test_create_from_incidents_takes_their_organisation(api_as, analyst, make_incident, org_a):
    i1, i2 = make_incident(organization=org_a), make_incident(organization=org_a)
    r = api_as(analyst).post(URL, {"title": "交换机端口反复故障", "incidents": [i1.pk, i2.pk], "priority": "2"},
                             format="json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["number"].startswith("PRB-") and body["status"] == "new" and body["organization"] == org_a.pk
    assert body["incidents"] == sorted([i1.pk, i2.pk]) and body["known_error"] is False
    assert [link["number"] for link in body["links"]] == [i1.number, i2.number]
    assert "investigate" in body["allowed_actions"]


def test_create_validation_is_400(api_as, analyst, org_a, org_b, make_incident):
    c = api_as(analyst)
    assert c.post(URL, {"title": "x"}, format="json").status_code == 400  # no organisation
    foreign = make_incident(organization=org_b)
    r = c.post(URL, {"title": "x", "organization": org_a.pk, "incidents": [foreign.pk]}, format="json")
    assert r.status_code == 400 and "incidents" in r.json()
    r = c.post(URL, {"title": "x", "organization": org_a.pk, "incidents": ["abc"]}, format="json")
    assert r.status_code == 400


def test_patch_with_version_and_409(api_as, analyst, make_problem, org_a):
    p = make_problem(organization=org_a)
    c = api_as(analyst)
    r = c.patch(f"{URL}{p.pk}/", {"version": 1, "root_cause": "固件缺陷", "workaround": "重启端口"}, format="json")
    assert r.status_code == 200 and r.json()["version"] == 2
    r = c.patch(f"{URL}{p.pk}/", {"version": 1, "workaround": "别的"}, format="json")
    assert r.status_code == 409
    assert Problem.objects.get(pk=p.pk).workaround == "重启端口"
    assert c.patch(f"{URL}{p.pk}/", {"version": 2}, format="json").status_code == 400  # nothing to change


def test_transition_link_unlink(api_as, analyst, make_problem, make_incident, org_a):
    p = make_problem(organization=org_a, root_cause="rc", workaround="wa")
    inc = make_incident(organization=org_a)
    c = api_as(analyst)
    r = c.post(f"{URL}{p.pk}/transition/", {"action": "close"}, format="json")
    assert r.status_code == 400 and "investigate" in str(r.json())
    r = c.post(f"{URL}{p.pk}/transition/", {"action": "known_error", "version": 1}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "known_error" and r.json()["known_error_id"].startswith("KE-")
    r = c.post(f"{URL}{p.pk}/link/", {"incidents": [inc.pk], "version": 1}, format="json")
    assert r.status_code == 409
    r = c.post(f"{URL}{p.pk}/link/", {"incidents": [inc.pk]}, format="json")
    assert r.status_code == 200 and r.json()["incidents"] == [inc.pk]
    r = c.post(f"{URL}{p.pk}/unlink/", {"incident": inc.pk}, format="json")
    assert r.status_code == 200 and r.json()["incidents"] == []
    assert c.post(f"{URL}{p.pk}/unlink/", {"incident": inc.pk}, format="json").status_code == 400
    events = c.get(f"{URL}{p.pk}/events/").json()["results"]
    assert [e["action"] for e in events] == ["created", "transition", "linked", "unlinked"]


def test_list_filters(api_as, analyst, make_problem, make_incident, org_a, org_b, ci_a, now):
    inc = make_incident(organization=org_a)
    ke = make_problem(organization=org_a, title="核心交换机端口故障", root_cause="r", workaround="切换备用端口",
                      ci=ci_a, incident_ids=[inc.pk])
    problem_transition(problem_id=ke.pk, actor=analyst, action="known_error", now=now)
    other = make_problem(organization=org_b, title="UPS battery alarm")
    c = api_as(analyst)

    def numbers(query):
        r = c.get(URL, query)
        assert r.status_code == 200, r.content
        return {row["number"] for row in r.json()["results"]}

    assert numbers({}) == {ke.number, other.number}
    assert numbers({"known_error": "true"}) == {ke.number}
    assert numbers({"known_error": "true", "q": "交换机端口"}) == {ke.number}
    assert numbers({"q": "battery"}) == {other.number}
    assert numbers({"status": "new"}) == {other.number}
    assert numbers({"organization": org_a.pk, "ci": ci_a.pk}) == {ke.number}
    assert numbers({"incident": inc.pk}) == {ke.number}
    assert c.get(URL, {"status": "bogus"}).status_code == 400
    assert c.get(URL, {"ci": "1e40"}).status_code == 400


def test_known_errors_endpoint(api_as, analyst, make_problem, org_a, ci_a, now):
    def ke(title, **kw):
        p = make_problem(organization=org_a, title=title, root_cause="r", workaround="w", **kw)
        return problem_transition(problem_id=p.pk, actor=analyst, action="known_error", now=now)

    a, b = ke("核心交换机端口故障", ci=ci_a), ke("机房网络中断", description="交换机端口老化")
    make_problem(organization=org_a, title="交换机端口 not a known error")
    c = api_as(analyst)
    r = c.get("/api/v1/known-errors/", {"q": "交换机端口"})
    assert r.status_code == 200
    rows = r.json()["results"]
    assert [row["id"] for row in rows] == [a.pk, b.pk] and rows[0]["rank"] > rows[1]["rank"]
    assert rows[0]["known_error_id"] == a.known_error_id and rows[0]["fixed"] is False
    assert [row["id"] for row in c.get("/api/v1/known-errors/", {"ci": ci_a.pk}).json()["results"]] == [a.pk]
    page = c.get("/api/v1/known-errors/", {"q": "交换机端口", "page_size": 1}).json()
    assert [row["id"] for row in c.get(page["next"]).json()["results"]] == [b.pk]
    assert c.get("/api/v1/known-errors/", {"ci": "x"}).status_code == 400


def test_customer_reads_own_organisation_only_and_writes_nothing(api_as, make_problem, make_incident, customer_a,
                                                                 org_a, org_b, analyst, now):
    mine = make_problem(organization=org_a, root_cause="r", workaround="重启端口")
    mine = problem_transition(problem_id=mine.pk, actor=analyst, action="known_error", now=now)
    theirs = make_problem(organization=org_b, title="B secret", root_cause="r", workaround="w")
    problem_transition(problem_id=theirs.pk, actor=analyst, action="known_error", now=now)
    c = api_as(customer_a)
    assert [row["id"] for row in c.get(URL).json()["results"]] == [mine.pk]
    assert [row["id"] for row in c.get("/api/v1/known-errors/").json()["results"]] == [mine.pk]
    assert c.get(f"{URL}{mine.pk}/").json()["workaround"] == "重启端口"
    assert c.get(f"{URL}{theirs.pk}/").status_code == 404
    assert c.get(f"{URL}{mine.pk}/worklogs/").status_code == 404
    for url in (f"{URL}{theirs.pk}/", f"{URL}{theirs.pk}/transition/", f"{URL}{theirs.pk}/comments/"):
        assert c.post(url, {"action": "close", "body": "x"}, format="json").status_code in (404, 405)
    assert c.patch(f"{URL}{theirs.pk}/", {"title": "x"}, format="json").status_code == 404
    assert c.patch(f"{URL}{mine.pk}/", {"title": "x"}, format="json").status_code == 403
    assert c.post(f"{URL}{mine.pk}/transition/", {"action": "close"}, format="json").status_code == 403
    assert c.post(f"{URL}{mine.pk}/comments/", {"body": "hi"}, format="json").status_code == 403
    assert c.post(URL, {"title": "x"}, format="json").status_code == 403
    inc = make_incident(organization=org_a)
    assert c.post(f"{URL}{mine.pk}/link/", {"incidents": [inc.pk]}, format="json").status_code == 403
    assert Problem.objects.get(pk=mine.pk).status == ProblemStatus.KNOWN_ERROR


def test_audit_verify_knows_problems(api_as, manager, make_problem, org_a):
    p = make_problem(organization=org_a)
    r = api_as(manager).get("/api/v1/audit/verify/", {"kind": "problem", "id": p.pk})
    assert r.status_code == 200 and r.json()["ok"] is True
