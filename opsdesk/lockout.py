"""django-axes' lockout answer (AXES_LOCKOUT_CALLABLE): axes replaces whatever the view answered for
a locked-out login with this response.

Axes' own answer is a bare HTML/text 429 in English; on the API that breaks the contract (every error
is JSON `{"detail": …}`, documented in the schema) and in the Chinese UI it is untranslated. So:
- under /api/ a JSON 429 in the API's error shape with `Retry-After` (the seconds of the cool-off),
  like DRF's own throttles;
- elsewhere (the web login) the project's translated error page, status 429."""

from __future__ import annotations

from typing import Any

from axes.helpers import get_cool_off
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

API_PREFIX = "/api/"


def lockout_message() -> str:
    return _("Too many failed logins: this account is locked for a while.")


def retry_after_seconds(request: HttpRequest) -> int | None:
    cool_off = get_cool_off(request)
    return max(int(cool_off.total_seconds()), 1) if cool_off else None


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None,
                     credentials: dict[str, Any] | None = None) -> HttpResponse:
    status = int(getattr(settings, "AXES_HTTP_RESPONSE_CODE", 429))
    retry = retry_after_seconds(request)
    response: HttpResponse
    if request.path.startswith(API_PREFIX):
        response = JsonResponse({"detail": lockout_message()}, status=status)
    else:
        response = render(request, "429.html", {"retry_minutes": -(-retry // 60) if retry else None},
                          status=status)
    if retry:
        response["Retry-After"] = str(retry)
    return response
