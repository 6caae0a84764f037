"""The WSGI application does a fresh worker's first-request work when it is loaded (opsdesk/warmup.py):
the URLconf imported and the reverse tables of every language built, without touching the database."""

from __future__ import annotations

import importlib

from django.conf import settings
from django.urls import clear_url_caches, get_resolver

from opsdesk.warmup import warm_up


def test_warm_up_builds_the_reverse_tables_of_every_language() -> None:
    clear_url_caches()  # a new resolver, as in a fresh worker
    resolver = get_resolver()
    assert not vars(resolver)["_populated"]
    warm_up()  # no django_db mark: any query would fail the test
    assert resolver is get_resolver()
    assert vars(resolver)["_populated"]
    assert set(resolver._reverse_dict) >= {code for code, _name in settings.LANGUAGES}
    assert resolver.reverse_dict.getlist("integrations-alertmanager")  # what the receivers' fast path reverses


def test_loading_the_wsgi_application_warms_up() -> None:
    import opsdesk.wsgi

    clear_url_caches()
    importlib.reload(opsdesk.wsgi)  # what a worker does at start
    assert vars(get_resolver())["_populated"]
