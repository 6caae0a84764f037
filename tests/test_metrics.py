"""/metrics (issue #11 finding 7): not for anonymous clients, and cheap to scrape."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def test_metrics_refuses_anonymous_clients(settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1"]
    client = Client()
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403
    # A forged forwarded header from a client that is no configured proxy changes nothing.
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="127.0.0.1").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200


def test_metrics_with_the_bearer_token(settings):
    settings.METRICS_TOKEN = "scrape-secret-0123456789"
    settings.METRICS_ALLOWED_IPS = []
    client = Client(REMOTE_ADDR="203.0.113.9")
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret-0123456789")
    assert response.status_code == 200 and b"opsdesk_incidents" in response.content


def test_metrics_scrapes_run_the_aggregate_once_per_cache_period(settings, django_assert_max_num_queries):
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1"]
    client = Client(REMOTE_ADDR="127.0.0.1")
    assert client.get("/metrics").status_code == 200
    with django_assert_max_num_queries(0):
        for _ in range(5):
            assert client.get("/metrics").status_code == 200
