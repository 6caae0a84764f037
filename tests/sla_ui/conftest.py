from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from accounts.choices import Role
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def lead(db):
    return UserFactory(username="lead", role=Role.REGIONAL_LEAD)


@pytest.fixture
def client_as(client: Client):
    def login(user) -> Client:
        client.force_login(user)
        return client

    return login
