from __future__ import annotations

import pytest
from django.test import Client

from accounts.choices import Role
from tests.factories import UserFactory


@pytest.fixture
def analyst(db):
    return UserFactory(username="analyst", role=Role.ANALYST)


@pytest.fixture
def client_as(client: Client):
    def login(user) -> Client:
        client.force_login(user)
        return client

    return login
