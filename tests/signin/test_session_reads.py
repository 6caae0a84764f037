"""The session and its user read by fixed statements (accounts.sessions, accounts.backends; issue 19):
each request still gets its own session and user, and every way out of a session still ends it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, get_user
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client, RequestFactory
from django.utils import timezone

from accounts.backends import ModelBackend
from accounts.choices import Role
from accounts.sessions import SessionStore
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _user_of(client: Client) -> Any:
    request = RequestFactory().get("/")
    request.session = SessionStore(client.cookies[settings.SESSION_COOKIE_NAME].value)
    return get_user(request)


def test_each_session_gets_its_own_user_in_turn():
    """One compiled statement for every request: the key is put in each time."""
    users = [UserFactory(role=Role.ENGINEER), UserFactory(role=Role.DISPATCHER), UserFactory(role=Role.MANAGER)]
    clients = [_signed_in(user) for user in users]
    assert settings.SESSION_ENGINE == "accounts.sessions"
    for _ in range(2):
        for user, client in zip(users, clients, strict=True):
            assert _user_of(client) == user
            assert _user_of(client).username == user.username
    assert clients[0].session[BACKEND_SESSION_KEY] == "accounts.backends.ModelBackend"


def test_every_way_out_of_a_session_still_ends_it():
    user, other = UserFactory(role=Role.ENGINEER), UserFactory(role=Role.ENGINEER)
    expired, deleted, logged_out, deactivated = (_signed_in(user) for _ in range(4))
    kept = _signed_in(other)
    Session.objects.filter(session_key=expired.cookies[settings.SESSION_COOKIE_NAME].value).update(
        expire_date=timezone.now() - timedelta(seconds=1))
    Session.objects.filter(session_key=deleted.cookies[settings.SESSION_COOKIE_NAME].value).delete()
    logged_out.post("/logout/")
    for client in (expired, deleted, logged_out):
        assert not _user_of(client).is_authenticated
        assert client.get("/my-work/").status_code == 302  # to the sign-in page
    assert deactivated.get("/my-work/").status_code == 200
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert not _user_of(deactivated).is_authenticated
    assert deactivated.get("/my-work/").status_code == 302
    assert _user_of(kept) == other and kept.get("/my-work/").status_code == 200
    store = SessionStore("no-such-session-key-000")
    assert store.load() == {} and store.session_key is None  # as Django's store: an unknown key is dropped


def test_an_id_of_no_user_gives_none():
    user = UserFactory(role=Role.ENGINEER)
    backend = ModelBackend()
    assert backend.get_user(str(user.pk)) == user
    for bad in ("", "x", None, "1.5", str(2**70), "-1", str(user.pk + 1000)):
        assert backend.get_user(bad) is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_session_and_user_reads_are_prepared_once():
    users = [UserFactory(role=Role.ENGINEER) for _ in range(3)]
    for user in users:
        assert _user_of(_signed_in(user)) == user
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        statements = [s for (s,) in cursor.fetchall()]
    assert len([s for s in statements if "FROM \"django_session\"" in s]) == 1, statements
    assert len([s for s in statements if "FROM \"accounts_user\"" in s]) == 1, statements
