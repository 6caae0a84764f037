"""Walk EVERY URL pattern of the project as a customer of organisation B and prove that nothing of
organisation A leaks (DESIGN.md rule 3). Patterns are enumerated from the root resolver, so pages
added later are covered without touching this test.

Path parameters are filled with the ids of organisation A's objects (chosen by parameter name; a
generic `pk`/`id` is tried with every kind of object, unknown names with A's incident id). Each page
must answer 404; or redirect to the login page; or 403 if it is a staff-only page without an id; or
anything else below 500 whose body carries no trace of A's data. All failures are collected and
reported together.
"""

from __future__ import annotations

import importlib
import itertools
import pkgutil
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus, urlencode

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.shortcuts import resolve_url
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from accounts.choices import Role
from incidents.services import incident_create
from tests import tenancy_contrib
from tests.factories import CIClassFactory, CIFactory, ContactFactory, CustomerFactory, OrganizationFactory, UserFactory
from tickets.models import TicketEvent
from tickets.services import request_create, ticket_attachment_add, ticket_comment_add, ticket_worklog_add

pytestmark = pytest.mark.django_db

SKIP_PREFIXES = ("admin/", "static/", "media/", "i18n/", "logout/", "__debug__/")
MAX_COMBINATIONS = 60


@dataclass(frozen=True)
class Route:
    route: str  # the pattern text, for messages
    name: str | None  # namespaced name for reverse()
    params: tuple[str, ...]


def walk(resolver: URLResolver, prefix: str = "", namespace: str | None = None,
         params: tuple[str, ...] = ()) -> Iterator[Route]:
    for entry in resolver.url_patterns:
        text = prefix + str(entry.pattern).lstrip("^").replace("\\/", "/")
        names = params + tuple(entry.pattern.regex.groupindex)
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from walk(entry, text, ns, names)
        elif isinstance(entry, URLPattern):
            full = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield Route(text.rstrip("$"), full, names)


@pytest.fixture
def tenants(operator, engineer, now):
    org_b = OrganizationFactory(name="Bravo Bakeries", code="bravo-bk")
    cust_b = CustomerFactory(username="bravo_user", organization=org_b)
    # B's own data first (lower numbers), so pages render real rows.
    ci_b = CIFactory(organization=org_b, name="bravo-oven-1")
    incident_create(actor=operator, organization=org_b, title="Bravo oven cold", ci=ci_b, now=now)
    request_create(actor=operator, organization=org_b, title="Bravo training", request_type="training", now=now)

    org_a = OrganizationFactory(name="Alphaville Waterworks", code="alphaville-ww")
    cust_a = CustomerFactory(username="alphaville_cust", name="Alphaville Customer", organization=org_a)
    klass = CIClassFactory(code="pump", name="Pump")
    ci = CIFactory(organization=org_a, name="alpha-core-sw-77", ci_class=klass)
    contact = ContactFactory(organization=org_a, name="Zhao Alphonse", phone="13712345678")
    inc = incident_create(actor=operator, organization=org_a, title="Alpha pump station flooded", ci=ci,
                          contact=contact, now=now)
    req = request_create(actor=operator, organization=org_a, title="Alpha badge reader request",
                         request_type="service_request", contact=contact, now=now)
    comments, attachments, worklogs = [], [], []
    for ticket in (inc, req):
        comments += [ticket_comment_add(ticket=ticket, author=operator, body="Alpha valve note", public=p, now=now)
                     for p in (True, False)]
        attachments += [ticket_attachment_add(ticket=ticket, author=operator, public=p, now=now,
                                              upload=SimpleUploadedFile("alpha-plan.txt", b"Alpha pump plan"))
                        for p in (True, False)]
        worklogs.append(ticket_worklog_add(ticket=ticket, author=engineer, minutes=10, note="Alpha pump work",
                                           work_date=None, now=now))
    events = list(TicketEvent.objects.filter(ticket_id__in=[inc.pk, req.pk]).values_list("pk", flat=True))
    ids: dict[str, list[Any]] = {
        "incident": [inc.pk], "request": [req.pk], "ci": [ci.pk], "contact": [contact.pk],
        "organization": [org_a.pk], "user": [cust_a.pk], "comment": [c.pk for c in comments],
        "attachment": [a.pk for a in attachments], "worklog": [w.pk for w in worklogs], "event": events[:3],
        "cls": [klass.pk],
    }
    secrets = [inc.number, inc.title, req.number, req.title, ci.name, contact.name, contact.phone,
               org_a.name, org_a.code, cust_a.username, "Alpha valve note", "Alpha pump plan", "Alpha pump work"]
    probe = urlencode({"q": inc.number, "phone": contact.phone, "organization": org_a.pk, "number": inc.number,
                       "ci": ci.pk, "contact": contact.pk, "kind": "incident", "id": inc.pk})
    needles: dict[str, str] = {}
    for info in pkgutil.iter_modules(tenancy_contrib.__path__):
        module = importlib.import_module(f"{tenancy_contrib.__name__}.{info.name}")
        extra = module.contribute(org_a=org_a, customer_a=cust_a, ci=ci, incident=inc, contact=contact,
                                  operator=operator, engineer=engineer, now=now)
        for key, values in extra.get("ids", {}).items():
            ids.setdefault(key, []).extend(values)
        secrets.extend(extra.get("secrets", []))
        needles.update(extra.get("params", {}))
    return {"customer_b": cust_b, "ids": ids, "secrets": secrets, "org_a": org_a, "number": inc.number,
            "probe": probe, "needles": needles}


def candidates(param: str, ids: dict[str, list[Any]], tenants: dict[str, Any]) -> list[Any]:
    """Values to try for a path parameter, chosen by its name."""
    name = param.lower()
    if name == "format":
        return ["json"]
    by_name = [
        ("attachment", "attachment"), ("comment", "comment"), ("worklog", "worklog"), ("event", "event"),
        ("contact", "contact"), ("incident", "incident"), ("request", "request"), ("org", "organization"),
        *tenants.get("needles", {}).items(),
        ("user", "user"), ("class", "cls"),
    ]
    for needle, key in by_name:
        if needle in name:
            return ids[key]
    if name in ("ci", "ci_id", "ci_pk") or name.startswith("ci_"):
        return ids["ci"]
    if "number" in name:
        return [tenants["number"]]
    if name in ("code", "slug"):
        return [tenants["org_a"].code]
    if name in ("pk", "id", "object_id") or name.endswith("_pk") or name.endswith("_id"):
        return sorted({v for values in ids.values() for v in values})
    return ids["incident"]


def build_urls(route: Route, tenants: dict[str, Any]) -> list[str]:
    if route.name is None:
        return []
    params = [p for p in dict.fromkeys(route.params)]
    pools = [candidates(p, tenants["ids"], tenants) for p in params]
    urls = []
    for combo in itertools.islice(itertools.product(*pools), MAX_COMBINATIONS):
        try:
            urls.append(reverse(route.name, kwargs=dict(zip(params, combo, strict=True))))
        except NoReverseMatch:
            continue
    return sorted(set(urls))


def body_of(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def test_customer_of_b_sees_nothing_of_a(client, tenants):
    client.force_login(tenants["customer_b"])
    client.raise_request_exception = False  # collect server errors as failures instead of stopping
    login_path = resolve_url(settings.LOGIN_URL)
    failures: list[str] = []
    walked = 0
    seen: list[str] = []
    for route in walk(get_resolver()):
        if route.route.startswith(SKIP_PREFIXES):
            continue
        urls = build_urls(route, tenants)
        if not urls:
            failures.append(f"{route.route}: cannot build a URL (name the pattern or teach `candidates` its params)")
            continue
        has_id = any(p != "format" for p in route.params)
        if not has_id:
            # id-less pages (lists, searches, lookups) are also asked about A by query string
            urls = [*urls, *(f"{u}?{tenants['probe']}" for u in urls)]
        for url in urls:
            walked += 1
            response = client.get(url)
            seen.append(f"{response.status_code} {url}")
            status = response.status_code
            if status == 404:
                continue
            if status in (301, 302, 303, 307, 308):
                if response["Location"].split("?")[0].startswith(login_path):
                    continue
                response = client.get(url, follow=True)
                status = response.status_code
                if status == 404 or response.request["PATH_INFO"].startswith(login_path):
                    continue
            if status == 403 and not has_id:
                continue
            if status == 403:
                failures.append(f"GET {url}: 403 reveals that the object exists (expected 404)")
                continue
            if status >= 500:
                failures.append(f"GET {url}: server error {status}")
                continue
            text = body_of(response)
            # a search box may echo the query it was given: that is not A's data
            asked = url.partition("?")[2]
            leaked = [s for s in tenants["secrets"] if s in text and quote_plus(s) not in asked]
            if leaked:
                failures.append(f"GET {url}: {status} leaks organisation A's {leaked}")
    print("\n".join(seen))
    assert walked > 20, "the walk found almost no URLs: is the resolver walk broken?"
    assert not failures, "Tenancy leaks:\n" + "\n".join(failures)


def test_walk_covers_the_api_and_staff_user_sees_a(client, tenants):
    """Guard against a walk that proves nothing: the same URLs DO show A's data to staff."""
    routes = {r.route for r in walk(get_resolver())}
    assert any("incidents/" in r and "transition" in r for r in routes)
    staff = UserFactory(role=Role.MANAGER)
    client.force_login(staff)
    inc_id = tenants["ids"]["incident"][0]
    body = body_of(client.get(f"/api/v1/incidents/{inc_id}/"))
    assert tenants["secrets"][1] in body
