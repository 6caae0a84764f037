"""The auditor (监理) writes nothing: one gate for every write, whatever page or API answers it.

A session request is refused here (middleware, before any view runs); an API request authenticated
by token is refused by the token authentication (DRF authenticates inside the view, after the
middleware). Only signing out and choosing the language stay open: they change the auditor's own
session, never a record."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def refuses_write(user: Any, method: str) -> bool:
    """True when `user` may not send `method` at all (the auditor's non-read requests)."""
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_auditor", False)
                and method.upper() not in SAFE_METHODS)


def _open_paths() -> frozenset[str]:
    return frozenset({reverse("logout"), reverse("set_language")})


class AuditorReadOnlyMiddleware:
    """403 for every POST/PUT/PATCH/DELETE of a signed-in auditor (API paths answer JSON)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if refuses_write(getattr(request, "user", None), request.method or "GET") \
                and request.path not in _open_paths():
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": _("An auditor can read only.")}, status=403)
            raise PermissionDenied(_("An auditor can read only."))
        return self.get_response(request)


class ReadOnlyAuditorTokenAuthentication(TokenAuthentication):
    """Token authentication that refuses an auditor's writes (403) before any view code runs."""

    def authenticate(self, request: Any) -> tuple[Any, Any] | None:
        result = super().authenticate(request)
        if result is not None and refuses_write(result[0], request.method or "GET"):
            raise exceptions.PermissionDenied(_("An auditor can read only."))
        return result

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        """DRF's lookup, answered from a per-process cache invalidated on every token or user change
        (accounts/token_cache.py)."""
        from .token_cache import token_user

        return token_user(key, model=self.get_model())
