"""The releases API (shared/API.md `releases/`: number, changes, status): create, list, detail,
PATCH with version (409 when stale), transitions (400 with the allowed actions), deployments,
events, and tenancy (customers read their organisation's, write nothing; others are 404)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache

from releases.models import Release

pytestmark = pytest.mark.django_db
URL = "/api/v1/releases/"


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


def test_create_and_promised_shape(api_as, release_manager, make_change, org_a, now):
    change = make_change(organization=org_a)
    start = now + timedelta(days=2)
    res = api_as(release_manager).post(URL, {
        "organization": org_a.pk, "title": "Video 2.4", "release_version": "2.4.0", "changes": [change.pk],
        "planned_start": start.isoformat(), "planned_end": (start + timedelta(hours=3)).isoformat(),
        "plan": "staging first",
    }, format="json")
    assert res.status_code == 201, res.content
    body = res.json()
    assert body["number"].startswith("REL-") and body["status"] == "planning"
    assert body["changes"] == [change.pk] and body["change_numbers"] == [change.number]
    assert body["allowed_actions"] == ["schedule", "cancel"] and body["version"] == 1


@pytest.mark.parametrize("payload, field", [
    ({"title": "x", "release_version": "1"}, "organization"),
    ({"organization": "ORG", "release_version": "1"}, "title"),
    ({"organization": "ORG", "title": "x", "release_version": "1", "changes": [10**30]}, "changes"),
    ({"organization": "ORG", "title": "x", "release_version": "1", "changes": "CHG"}, "changes"),
    ({"organization": "ORG", "title": "x", "release_version": "1", "changes": ["FOREIGN"]}, "changes"),
    ({"organization": "ORG", "title": "x", "release_version": "1", "planned_start": "soon"}, "planned_start"),
    ({"organization": "ORG", "title": "x", "release_version": "1", "planned_start": "2026-12-01T10:00:00+08:00",
      "planned_end": "2026-12-01T09:00:00+08:00"}, "planned_end"),
])
def test_bad_input_is_400_with_the_field(api_as, release_manager, make_change, org_a, org_b, payload, field):
    foreign = make_change(organization=org_b)
    data = {k: ({"ORG": org_a.pk}.get(v, v) if not isinstance(v, list) else
                [foreign.pk if x == "FOREIGN" else x for x in v]) for k, v in payload.items()}
    res = api_as(release_manager).post(URL, data, format="json")
    assert res.status_code == 400 and field in res.json(), res.content


def test_customers_read_their_own_and_nothing_else(api_as, make_release, customer_a, customer_b, org_a, org_b):
    mine, theirs = make_release(organization=org_a), make_release(organization=org_b, title="Bravo release")
    client = api_as(customer_a)
    listed = client.get(URL).json()["results"]
    assert [r["number"] for r in listed] == [mine.number]
    assert client.get(f"{URL}{mine.pk}/").status_code == 200
    for path in (f"{URL}{theirs.pk}/", f"{URL}{theirs.pk}/deployments/", f"{URL}{theirs.pk}/events/"):
        assert client.get(path).status_code == 404, path
    assert client.post(URL, {"organization": org_a.pk, "title": "x", "release_version": "1"},
                       format="json").status_code == 403
    assert client.patch(f"{URL}{mine.pk}/", {"title": "x"}, format="json").status_code == 403
    assert client.post(f"{URL}{mine.pk}/transition/", {"action": "cancel", "reason": "x"},
                       format="json").status_code == 403


def test_patch_with_version_and_changes(api_as, release_manager, make_release, make_change, org_a):
    one, two = make_change(organization=org_a), make_change(organization=org_a)
    release = make_release(organization=org_a, changes=[one])
    client = api_as(release_manager)
    res = client.patch(f"{URL}{release.pk}/", {"version": release.version, "title": "Video 2.4.1",
                                               "changes": [one.pk, two.pk]}, format="json")
    assert res.status_code == 200, res.content
    assert res.json()["title"] == "Video 2.4.1" and sorted(res.json()["changes"]) == sorted([one.pk, two.pk])
    stale = client.patch(f"{URL}{release.pk}/", {"version": release.version, "title": "lost"}, format="json")
    assert stale.status_code == 409 and stale.json()["version"] == release.version + 1
    assert Release.objects.get(pk=release.pk).title == "Video 2.4.1"
    assert client.patch(f"{URL}{release.pk}/", {}, format="json").status_code == 400
    assert client.patch(f"{URL}{release.pk}/", {"status": "closed"}, format="json").status_code == 400


def test_transitions_and_deployments(api_as, release_manager, deployer, make_release, make_change, org_a, now):
    release = make_release(organization=org_a, changes=[make_change(organization=org_a)], status="scheduled")
    client = api_as(release_manager)
    refused = client.post(f"{URL}{release.pk}/transition/", {"action": "close"}, format="json")
    assert refused.status_code == 400 and sorted(refused.json()["allowed_actions"]) == ["cancel", "replan", "start"]
    started = client.post(f"{URL}{release.pk}/transition/", {"action": "start", "version": release.version},
                          format="json")
    assert started.status_code == 200 and started.json()["status"] == "deploying"
    record = {"environment": "production", "site": "Hospital 1", "result": "success", "deployed_by": deployer.pk,
              "started_at": (now - timedelta(hours=1)).isoformat(), "finished_at": now.isoformat()}
    res = client.post(f"{URL}{release.pk}/deployments/", record, format="json")
    assert res.status_code == 201, res.content
    assert res.json()["deployed_by"] == deployer.pk and res.json()["site"] == "Hospital 1"
    bad = client.post(f"{URL}{release.pk}/deployments/", {**record, "result": "failed", "notes": ""}, format="json")
    assert bad.status_code == 400 and "notes" in bad.json()
    listed = client.get(f"{URL}{release.pk}/deployments/").json()["results"]
    assert [d["environment"] for d in listed] == ["production"]
    done = client.post(f"{URL}{release.pk}/transition/", {"action": "complete"}, format="json")
    assert done.json()["status"] == "deployed"
    verify = client.post(f"{URL}{release.pk}/transition/", {"action": "verify"}, format="json")
    assert verify.status_code == 400 and "verification_notes" in verify.json()
    events = client.get(f"{URL}{release.pk}/events/").json()["results"]
    assert [e["action"] for e in events] == ["created", "transition", "transition", "deployed", "transition"]


def test_filters(api_as, operator, make_release, make_change, org_a, org_b):
    change = make_change(organization=org_a)
    a = make_release(organization=org_a, changes=[change], title="Alpha cameras", release_version="3.1")
    make_release(organization=org_b, status="cancelled")
    client = api_as(operator)
    assert [r["id"] for r in client.get(URL, {"change": change.pk}).json()["results"]] == [a.pk]
    assert [r["id"] for r in client.get(URL, {"q": "3.1"}).json()["results"]] == [a.pk]
    assert [r["id"] for r in client.get(URL, {"q": a.number.lower()}).json()["results"]] == [a.pk]
    assert [r["id"] for r in client.get(URL, {"status": "planning"}).json()["results"]] == [a.pk]
    assert client.get(URL, {"status": "bogus"}).status_code == 400
    assert client.get(URL, {"organization": "9" * 30}).status_code == 400


def test_list_queries_do_not_grow_per_row(api_as, operator, make_release, make_change, org_a,
                                          django_assert_max_num_queries):
    for _ in range(6):
        make_release(organization=org_a, changes=[make_change(organization=org_a)])
    with django_assert_max_num_queries(8):
        assert len(api_as(operator).get(URL).json()["results"]) == 6


def test_audit_verify_knows_releases(api_as, operator, make_release, org_a):
    release = make_release(organization=org_a)
    res = api_as(operator).get("/api/v1/audit/verify/", {"kind": "release", "id": release.pk})
    assert res.status_code == 200 and res.json()["ok"] is True
