"""The receivers' short cut through the middleware stack (issue 13: one alert per request).

A POST to one of the three receivers (by exact path) goes straight to it from here — placed right
after RequestIdMiddleware, so the request id and the latency metric stay. What the rest of the stack
would do is irrelevant to a machine posting JSON with its source's secret: no session, cookie, CSRF
(the views are exempt), user, two-factor, read-only auditor, messages, static files, HTML security
headers. What does matter is kept: the host check (ALLOWED_HOSTS), the HTTPS redirect when required
(such a request takes the normal stack), the language (a 400's message follows Accept-Language as
LocaleMiddleware would choose it) and `X-Content-Type-Options: nosniff`.
Anything else (another method, a path without its slash) takes the normal stack."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import ResolverMatch, resolve, reverse
from django.utils import translation

from .choices import SourceKind

_NAMES = {"integrations-alertmanager": SourceKind.ALERTMANAGER, "integrations-zabbix": SourceKind.ZABBIX,
          "integrations-events": SourceKind.EVENTS}


class ReceiverFastPathMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._paths: dict[str, tuple[str, ResolverMatch]] | None = None

    def receivers(self) -> dict[str, tuple[str, ResolverMatch]]:
        if self._paths is None:  # resolved once the URLconf is loaded, not at import
            self._paths = {}
            for name, kind in _NAMES.items():
                path = reverse(name)
                self._paths[path] = (kind, resolve(path))
        return self._paths

    def __call__(self, request: HttpRequest) -> HttpResponse:
        hit = self.receivers().get(request.path_info) if request.method == "POST" else None
        if hit is None or (settings.SECURE_SSL_REDIRECT and not request.is_secure()):
            return self.get_response(request)  # (plain HTTP where HTTPS is required: SecurityMiddleware answers)
        request.get_host()  # ALLOWED_HOSTS still holds (CommonMiddleware's check): DisallowedHost → 400
        kind, request.resolver_match = hit  # the latency metric keeps its route label
        from .views import receive  # the views import the app's models: not at settings load

        with translation.override(translation.get_language_from_request(request)):
            response = receive(request, kind)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response
