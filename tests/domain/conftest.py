"""Fixtures for the domain-layer tests (services, selectors, workflow, audit, numbering, SLA)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections

from accounts.choices import Role
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    """The factories hash a password per user; the domain tests create hundreds of users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def user_with_role(db) -> Callable[..., Any]:
    """A fresh active user of `role` (customers get `organization`)."""

    def make(role: str, **kwargs: Any) -> Any:
        if role == Role.CUSTOMER:
            assert "organization" in kwargs, "a customer needs an organisation"
        return UserFactory(role=role, **kwargs)

    return make


def run_in_thread_db(fn: Callable[[], Any]) -> Callable[[], Any]:
    """Wrap a thread body so the thread's own database connection is closed when it ends
    (otherwise the test database cannot be dropped)."""

    def body() -> Any:
        try:
            return fn()
        finally:
            connections.close_all()

    return body
