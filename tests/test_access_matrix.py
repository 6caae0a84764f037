"""The role × action matrix (README "Roles and permissions"; issue #11, finding 9), checked over EVERY
URL pattern of the project (the root resolver: every page, every API list, detail and action).

`tests/access_matrix.json` says, per route and method, which roles get through (the answer is
neither 401, 403, 404, 405 nor a redirect to the login page). Each route is asked with GET and with
an empty POST, as every role, with organisation A's ids in its path (the customer belongs to A).
A route missing from the file fails the test, so a new endpoint must be put in the matrix (with a
decision on who may use it) before it can be merged. After a deliberate change of who may do
what, rewrite the file with `UPDATE_ACCESS_MATRIX=1 pytest tests/test_access_matrix.py` and review
the diff like code.
"""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.shortcuts import resolve_url
from django.urls import NoReverseMatch, get_resolver, reverse

from accounts.choices import Role
from accounts.models import User
from tests.factories import UserFactory
from tests.test_tenancy_walk import (  # noqa: F401 - `tenants` is a fixture
    SKIP_PREFIXES,
    Route,
    build_urls,
    candidates,
    tenants,
    walk,
)

pytestmark = pytest.mark.django_db

MATRIX_FILE = Path(__file__).with_name("access_matrix.json")
ROLES = ["anonymous", "admin", *Role.values]
DENIED = {401, 403, 404, 405}
# Routes not asked with POST: signing out, and POSTs that would change what the later roles see.
NO_POST = ("logout/",)


def _actor(role: str, org_a: Any) -> Any:
    if role == "anonymous":
        return None
    existing = User.objects.filter(username=f"matrix-{role}").first()
    if existing is not None:
        return existing
    if role == "admin":
        return UserFactory(username="matrix-admin", role=Role.MANAGER, is_superuser=True, is_staff=True)
    return UserFactory(username=f"matrix-{role}", role=role,
                       organization=org_a if role in (Role.CUSTOMER, Role.AUDITOR) else None)


def _gets_through(response: Any, login_path: str) -> bool:
    if response.status_code in DENIED:
        return False
    if response.status_code in (301, 302, 303, 307, 308):
        return not response["Location"].split("?")[0].startswith(login_path)
    return True


# The path segment before a route's first parameter → the kind of object its id names.
SEGMENT_IDS = {
    "incidents": "incident", "requests": "request", "changes": "change", "problems": "problem",
    "releases": "release", "cis": "ci", "cmdb": "ci", "documents": "document", "reports": "report_run",
    "users": "user", "organizations": "organization", "contacts": "contact", "loans": "spare_loan",
    "spare-loans": "spare_loan", "spare-parts": "spare_part", "parts": "spare_part", "storerooms": "storeroom",
    "stock": "stock", "spare-movements": "movement", "movements": "movement", "replacements": "replacement",
    "ci-relations": "relation", "maintenance-contracts": "contract", "cabs": "cab", "change-templates": "template",
    "freeze-windows": "freeze", "ci-classes": "cls", "schedules": "report_schedule",
    "anchors": "audit_anchor", "history": "audit_anchor",
    "plans": "inspection_plan", "templates": "checklist_template",  # inspections/plans/<pk>/, …/templates/<pk>/
    "rounds": "inspection_round", "leave": "leave", "triage": "inbound_mail", "training": "training",
    "saved-filters": "saved_filter", "notifications": "notification", "kpi": "scorecard",
    "findings": "security_finding", "imports": "scan_import", "unmatched": "unmatched_row", "rmas": "rma",
    "scorecards": "scorecard", "rules": "duty_rule", "records": "audit_anchor",
    "emergency-plans": "emergency_plan", "drills": "drill", "backups": "backup_job", "backup-jobs": "backup_job",
    "restore-tests": "restore_test",  # assurance/…
    # panels and the hotline link name their object in the singular (e.g. changes/panels/incident/<pk>/)
    "incident": "incident", "ci": "ci", "link": "incident",
}


def _candidate_urls(route: Route, tenants: dict[str, Any]) -> list[str]:  # noqa: F811
    """URLs of the route with organisation A's ids, the ids of the object type the route is about first."""
    params = list(dict.fromkeys(route.params))
    if not params:
        return build_urls(route, tenants)
    segments = route.route.split("/")
    first = next(i for i, seg in enumerate(segments) if "<" in seg or "(?P" in seg)
    key = SEGMENT_IDS.get(segments[first - 1]) if first else None
    pools = [candidates(p, tenants["ids"], tenants) for p in params]
    if key and tenants["ids"].get(key) and params[0] == "pk":
        pools[0] = tenants["ids"][key]
    urls = []
    for combo in itertools.islice(itertools.product(*pools), 60):
        try:
            urls.append(reverse(route.name or "", kwargs=dict(zip(params, combo, strict=True))))
        except NoReverseMatch:
            continue
    return list(dict.fromkeys(urls)) or build_urls(route, tenants)


def _url_of_an_object(client: Any, urls: list[str], probers: list[Any]) -> str | None:
    """The first URL whose path names an existing object (the admin, or else A's customer, does not
    get 404 for it by GET or POST); the first URL for id-less routes."""
    if len(urls) <= 1:
        return urls[0] if urls else None
    for prober in probers:
        client.force_login(prober)
        for url in urls:
            if client.get(url).status_code != 404 or client.post(
                    url, data="{}", content_type="application/json").status_code != 404:
                return url
    return urls[0]


def observed_matrix(client: Any, tenants: dict[str, Any]) -> dict[str, dict[str, list[str]]]:  # noqa: F811 - the imported fixture
    login_path = resolve_url(settings.LOGIN_URL)
    routes = [r for r in walk(get_resolver()) if not r.route.startswith(SKIP_PREFIXES) and r.name]
    client.raise_request_exception = False
    probers = [_actor("admin", tenants["org_a"]), _actor(Role.CUSTOMER, tenants["org_a"])]
    urls = {r.route: _url_of_an_object(client, _candidate_urls(r, tenants), probers) for r in routes}
    matrix: dict[str, dict[str, list[str]]] = {route: {"GET": [], "POST": []} for route in urls}
    for role in ROLES:
        cache.clear()  # the API throttles count per address: a 429 must not decide who may do what
        actor = _actor(role, tenants["org_a"])
        client.logout()
        if actor is not None:
            client.force_login(actor)
        for route, url in urls.items():
            if url is None:
                continue
            if _gets_through(client.get(url), login_path):
                matrix[route]["GET"].append(role)
            if not route.startswith(NO_POST) and _gets_through(
                    client.post(url, data="{}", content_type="application/json"), login_path):
                matrix[route]["POST"].append(role)
    return matrix


def test_every_route_is_in_the_matrix_and_behaves_as_written(client, tenants):  # noqa: F811
    observed = observed_matrix(client, tenants)
    if os.environ.get("UPDATE_ACCESS_MATRIX"):
        MATRIX_FILE.write_text(json.dumps(observed, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    written: dict[str, dict[str, list[str]]] = json.loads(MATRIX_FILE.read_text())
    unlisted = sorted(set(observed) - set(written))
    assert not unlisted, ("Routes missing from tests/access_matrix.json (decide who may use them, then "
                          "UPDATE_ACCESS_MATRIX=1):\n" + "\n".join(unlisted))
    differences = [f"{method} {route}: written {sorted(written[route][method])}, observed {sorted(roles)}"
                   for route, methods in observed.items() for method, roles in methods.items()
                   if sorted(roles) != sorted(written[route].get(method, []))]
    assert not differences, "Who may do what differs from the matrix:\n" + "\n".join(differences)


def test_the_matrix_keeps_the_privileged_actions_to_their_roles():
    """The decisions of the README table, read from the file so that a regenerated matrix cannot
    quietly widen them."""
    written = json.loads(MATRIX_FILE.read_text())
    assert set(written["api/v1/users/"]["POST"]) == {"admin", Role.MANAGER}
    assert set(written["api/v1/organizations/"]["POST"]) == {"admin", Role.MANAGER}
    assert set(written["api/v1/audit/verify/"]["GET"]) - {Role.CUSTOMER} == {"admin", Role.MANAGER, Role.ANALYST}
    assert not any("anonymous" in methods["POST"] for route, methods in written.items()
                   if route.startswith("api/v1/users"))
    for route in ("api/v1/users/(?P<pk>[^/.]+)/",):  # PATCH is checked per rank in tests/api/test_privileges.py
        assert "anonymous" not in written[route]["POST"]
