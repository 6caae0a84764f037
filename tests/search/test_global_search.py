"""The one search box: numbers of every kind, callers' phones, CI names / serials / asset tags, known
errors (Chinese words via the bigram search), grouped by kind; customers see only their org's tickets."""

from __future__ import annotations

import pytest

from accounts.choices import Role
from problems.services import problem_create, problem_transition
from search.selectors import global_search
from tests.factories import CIFactory, ContactFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_incident, org_a, org_b, now):
    caller = ContactFactory(organization=org_a, name="李娜", phone="13912345678")
    cam = make_incident(organization=org_a, title="泵站摄像头07 离线", contact=caller)
    other = make_incident(organization=org_b, title="乙方摄像头离线")
    ci = CIFactory(organization=org_a, name="泵站核心交换机", serial="SN-ABC-778", asset_tag="ZC-0042")
    analyst = UserFactory(username="analyst_s", role=Role.ANALYST)
    ke = problem_create(actor=analyst, organization=org_a, title="摄像头夜间频繁离线", now=now, priority="3",
                        root_cause="PoE 交换机供电不足", workaround="重启交换机端口")
    for action in ("investigate", "known_error"):
        ke = problem_transition(problem_id=ke.pk, actor=analyst, action=action, now=now)
    return {"cam": cam, "other": other, "ci": ci, "ke": ke}


def kinds(groups) -> dict[str, list[str]]:
    return {g.kind: [h.label for h in g.hits] for g in groups}


def test_numbers_phones_cis_known_errors(world, dispatcher, now):
    cam, ci, ke = world["cam"], world["ci"], world["ke"]
    assert kinds(global_search(user=dispatcher, q=cam.number.lower(), now=now)) == {
        "incident": [f"{cam.number} {cam.title}"]}
    digits = cam.number.split("-")[1]
    assert f"{cam.number} {cam.title}" in kinds(global_search(user=dispatcher, q=digits, now=now))["incident"]
    assert kinds(global_search(user=dispatcher, q=ke.number.replace("PRB", "KE"), now=now))["known_error"]
    by_phone = kinds(global_search(user=dispatcher, q="139 1234 5678", now=now))
    assert by_phone["caller"] == [f"{cam.number} {cam.title}"]
    assert kinds(global_search(user=dispatcher, q="SN-ABC-778", now=now))["ci"] == [ci.name]
    assert kinds(global_search(user=dispatcher, q="ZC-0042", now=now))["ci"] == [ci.name]
    words = kinds(global_search(user=dispatcher, q="摄像头离线", now=now))
    assert ke.title in " ".join(words["known_error"])  # bigram search: 摄像头 … 离线
    words = kinds(global_search(user=dispatcher, q="摄像头 离线", now=now))  # incident search: every word
    assert {world["cam"].number, world["other"].number} <= {label.split()[0] for label in words["incident"]}


def test_customer_sees_only_own_org_and_no_internal_kinds(world, customer_a, now):
    groups = kinds(global_search(user=customer_a, q="摄像头", now=now))
    assert set(groups) == {"incident"}
    assert [label.split()[0] for label in groups["incident"]] == [world["cam"].number]
    assert global_search(user=customer_a, q=world["other"].number, now=now) == []
    assert global_search(user=customer_a, q="SN-ABC-778", now=now) == []
    assert global_search(user=customer_a, q=world["ke"].number, now=now) == []


def test_search_page_staff_and_portal(world, client, dispatcher, customer_a):
    client.force_login(dispatcher)
    page = client.get("/search/", {"q": "摄像头"}).content.decode()
    assert 'id="search-incident"' in page and f"/incidents/{world['cam'].pk}/" in page
    assert 'id="global-search"' in page
    client.force_login(customer_a)
    page = client.get("/search/", {"q": "摄像头"}).content.decode()
    assert f"/portal/incidents/{world['cam'].pk}/" in page and world["other"].number not in page
    assert client.get("/search/", {"q": "x" * 5000}).status_code == 200
