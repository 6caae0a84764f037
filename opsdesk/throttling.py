"""DRF's throttles keyed on `opsdesk.client_ip` instead of DRF's own reading of X-Forwarded-For
(which trusts any client's header unless NUM_PROXIES is set, and cannot name the proxies)."""

from __future__ import annotations

from typing import Any

from rest_framework import throttling

from .client_ip import client_ip


class ClientIPMixin:
    def get_ident(self, request: Any) -> str:
        return client_ip(request)


class AnonRateThrottle(ClientIPMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(ClientIPMixin, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(ClientIPMixin, throttling.ScopedRateThrottle):
    pass
