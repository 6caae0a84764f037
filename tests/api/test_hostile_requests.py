"""Hostile request shapes from issue #11: deep or huge JSON bodies, anonymous reads of account lists,
and forwarded-for headers from clients that are not a configured proxy."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _post_raw(client: Client, url: str, body: bytes, **extra):
    return client.generic("POST", url, body, content_type="application/json", **extra)


@pytest.mark.parametrize("url", ["/api/v1/auth/token/", "/api/v1/incidents/"])
def test_deeply_nested_json_is_a_json_400(url, engineer):
    """Issue #11 finding 6: a 5,000-deep body raised RecursionError (500), even anonymously."""
    client = Client(raise_request_exception=False)
    if url != "/api/v1/auth/token/":
        client.force_login(engineer)
    response = _post_raw(client, url, b"[" * 5000 + b"]" * 5000)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()


def test_a_body_over_the_limit_is_a_json_413(settings):
    """Issue #11 finding 6: a 30 MB body gave Django's HTML 400 page."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    body = b'{"username": "' + b"x" * (2 * 1024 * 1024) + b'", "password": "x"}'
    response = _post_raw(Client(raise_request_exception=False), "/api/v1/auth/token/", body)
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()


def _api_routes() -> list[tuple[str, str]]:
    """Every API route as (name, URL), parameters filled with 1 (a route per view and action)."""
    from django.urls import URLPattern, URLResolver, get_resolver

    def walk(patterns, prefix):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                yield entry.name or "", prefix + str(entry.pattern)

    import re

    routes = []
    for name, pattern in walk(get_resolver().url_patterns, "/"):
        # api-not-found: a path no route matches is a JSON 404 for everyone (nothing there to protect).
        if not pattern.startswith("/api/v1/") or name in ("api-root", "api-token", "api-not-found"):
            continue
        url = re.sub(r"\(\?P<\w+>[^)]*\)", "1", pattern)
        url = re.sub(r"<(?:\w+:)?\w+>", "1", url).replace("^", "").replace("$", "")
        routes.append((name, url))
    return sorted(set(routes))


def test_every_api_route_is_401_for_anonymous_reads():
    """Issue #11 finding 7: users/, users/me/, contacts/ and organizations/ answered 200 with an
    empty list; API.md promises 401. Generated over every API route."""
    client = Client()
    routes = _api_routes()
    assert len(routes) > 50
    wrong = {url: client.get(url).status_code for _name, url in routes}
    wrong = {url: code for url, code in wrong.items() if code != 401}
    assert wrong == {}


def _token_attempts(client: Client, forwarded: list[str], remote: str = "203.0.113.7") -> list[int]:
    return [_post_raw(client, "/api/v1/auth/token/", b'{"username": "nobody", "password": "wrong"}',
                      REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=hop).status_code for hop in forwarded]


def test_rotating_forwarded_for_from_a_client_does_not_escape_the_throttle(settings):
    """Issue #11 finding 2: 25 token requests with rotating X-Forwarded-For gave 25 x 400, never 429."""
    settings.TRUSTED_PROXIES = []
    codes = _token_attempts(Client(), [f"198.51.100.{n}" for n in range(25)])
    assert 429 in codes and codes.count(400) <= 20


def test_forwarded_for_is_believed_from_a_trusted_proxy_only(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    # Behind the proxy, different clients are different buckets ...
    assert 429 not in _token_attempts(Client(), [f"198.51.100.{n}" for n in range(25)], remote="10.1.2.3")
    # ... but a client cannot rotate what it puts before the address our proxy appended.
    spoofed = [f"192.0.2.{n}, 198.51.100.200" for n in range(25)]
    assert 429 in _token_attempts(Client(), spoofed, remote="10.1.2.3")


def test_client_ip_walks_the_chain_from_the_right(settings, rf):
    from axes.helpers import get_client_ip_address

    from opsdesk.client_ip import client_ip

    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "fd00::/8"]
    cases = [
        ("203.0.113.7", "1.1.1.1", "203.0.113.7"),  # the peer is no proxy: header ignored
        ("10.0.0.1", "1.1.1.1", "1.1.1.1"),
        ("10.0.0.1", "6.6.6.6, 1.1.1.1, 10.0.0.2", "1.1.1.1"),
        ("10.0.0.1", "", "10.0.0.1"),
        ("10.0.0.1", "not-an-ip", "10.0.0.1"),
        ("fd00::1", "2001:db8::5", "2001:db8::5"),
    ]
    for remote, forwarded, expected in cases:
        request = rf.get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
        assert client_ip(request) == expected, (remote, forwarded)
        assert get_client_ip_address(request) == expected  # django-axes counts failures by the same address


def test_a_deeply_nested_cursor_is_a_json_404(engineer):
    """The same RecursionError through the keyset cursor (JSON inside base64 in the query string): an
    invalid cursor, answered like any other invalid cursor (404, as DRF's cursor pagination does)."""
    import base64

    client = Client(raise_request_exception=False)
    client.force_login(engineer)
    cursor = base64.urlsafe_b64encode(b"[" * 3000 + b"]" * 3000).decode().rstrip("=")
    response = client.get("/api/v1/incidents/", {"cursor": cursor})
    assert response.status_code == 404 and response["Content-Type"].startswith("application/json")
    assert "cursor" in str(response.json())
