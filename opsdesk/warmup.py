"""Work every web worker would otherwise do on its first requests, done when the WSGI application
is loaded (opsdesk/wsgi.py), before the worker accepts a connection.

Django imports the URLconf (and with it every view, serializer and form module) on the first
request, loads a language's message catalogue the first time that language is active, and builds
the reverse-lookup tables of each language on its first `reverse()` — the receivers' fast path
(monitoring/fastpath.py) calls it on every worker's first POST. Measured on the 2-core benchmark
machine: a fresh worker's first GET cost ~0.7 s of CPU and its first POST another 0.1–0.25 s, paid
inside a client's request. Here they are paid once per worker at start, or once in all when gunicorn
preloads the application (gunicorn.conf.py) and forks the workers from it.

No database access: nothing here opens a connection, so a preloading master hands none to its
workers."""

from __future__ import annotations

from django.conf import settings
from django.urls import get_resolver
from django.utils import translation


def warm_up() -> None:
    resolver = get_resolver()
    resolver.url_patterns  # noqa: B018  (imports the URLconf and every view module)
    for code, _name in settings.LANGUAGES:
        with translation.override(code):  # loads the language's catalogue
            resolver.reverse_dict  # noqa: B018  (the reverse tables are built per active language)
