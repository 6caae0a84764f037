from __future__ import annotations

from typing import Any

import pytest

from accounts.choices import Role
from problems.models import Problem
from problems.services import problem_create
from tests.factories import UserFactory


@pytest.fixture
def analyst(db):
    return UserFactory(username="analyst", role=Role.ANALYST)


@pytest.fixture
def make_problem(analyst, now):
    """Create a problem through the real service."""

    def make(*, organization: Any, actor: Any = None, **kwargs: Any) -> Problem:
        kwargs.setdefault("title", "Core switch port flapping")
        return problem_create(actor=actor or analyst, organization=organization, now=now, **kwargs)

    return make
