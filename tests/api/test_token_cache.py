"""Issue 19: API token lookups are cached per process, and every change that could alter the answer
(revoking a token, deactivating or changing a user) is seen on the very next request, in this
worker and in the others (the version counter in the shared cache)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.choices import Role
from accounts.token_cache import TOKEN_VERSION_KEY, token_cache_clear

pytestmark = pytest.mark.django_db(transaction=False)

URL = "/api/v1/incidents/"


@pytest.fixture
def client_for(dispatcher):
    token_cache_clear()
    token = Token.objects.create(user=dispatcher)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    yield client, token
    token_cache_clear()


def token_reads(client: APIClient) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        status = client.get(URL).status_code
    return status, sum('"authtoken_token"' in q["sql"] for q in ctx.captured_queries)


def test_second_request_reads_no_token(client_for):
    client, _token = client_for
    assert token_reads(client) == (200, 1)
    assert token_reads(client) == (200, 0)


def test_revoked_token_is_refused_at_once(client_for):
    client, token = client_for
    assert token_reads(client)[0] == 200
    token.delete()
    assert client.get(URL).status_code == 401


def test_deactivated_user_is_refused_at_once(client_for, dispatcher):
    client, _token = client_for
    assert token_reads(client)[0] == 200
    dispatcher.is_active = False
    dispatcher.save()
    assert client.get(URL).status_code == 401


def test_changed_role_is_seen_at_once(client_for, dispatcher, org_a):
    client, _token = client_for
    assert client.get("/api/v1/incidents/queue/").status_code == 200
    dispatcher.role, dispatcher.organization = Role.AUDITOR, org_a
    dispatcher.save()
    assert client.post(URL, {"title": "x"}, format="json").status_code == 403  # an auditor reads only


def test_another_workers_change_empties_this_workers_entries(client_for):
    """Another worker's signal moves the shared counter: this process reads the database again."""
    client, _token = client_for
    assert token_reads(client) == (200, 1)
    assert token_reads(client) == (200, 0)
    try:
        cache.incr(TOKEN_VERSION_KEY)
    except ValueError:
        cache.set(TOKEN_VERSION_KEY, 1, timeout=None)
    assert token_reads(client) == (200, 1)


def test_each_request_gets_its_own_user_instance(client_for, dispatcher):
    from accounts.token_cache import token_user

    client, token = client_for
    first, _ = token_user(token.key, model=Token)
    second, _ = token_user(token.key, model=Token)
    assert first == second and first is not second
