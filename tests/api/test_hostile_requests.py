"""Hostile request shapes from issue #11: deep or huge JSON bodies, anonymous reads of account lists,
and forwarded-for headers from clients that are not a configured proxy."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


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
