from __future__ import annotations

import pytest
from django.core.cache import cache

from accounts.choices import Role
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _fresh_throttles():
    """Throttle counters live in the cache; never let one test's requests throttle another's."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", role=Role.MANAGER, is_superuser=True, is_staff=True)


@pytest.fixture
def lead(db):
    """A regional lead: may dispatch and work any incident (no group guard)."""
    return UserFactory(username="lead", role=Role.REGIONAL_LEAD)
