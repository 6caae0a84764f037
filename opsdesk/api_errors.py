"""API error shapes (shared/API.md): 400 field messages, 404 outside the tenant, 409 stale version."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ObjectDoesNotExist
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import ConflictError, TransitionNotAllowed
from .serializers import Serializer as StrictSerializer


class PayloadTooLarge(exceptions.APIException):
    """The upload is larger than the configured limit (HTTP 413)."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "too_large"


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ConflictError):
        return Response({"detail": exc.message, "version": exc.current_version}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, TransitionNotAllowed):
        return Response({**exc.message_dict, "allowed_actions": exc.allowed}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return Response(exc.message_dict, status=status.HTTP_400_BAD_REQUEST)
        return Response({"detail": " ".join(exc.messages)}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, RequestDataTooBig):  # Django's own answer would be an HTML 400 page
        exc = PayloadTooLarge()
    if isinstance(exc, ObjectDoesNotExist):
        exc = Http404()
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    return drf_exception_handler(exc, context)


MAX_DB_ID = 2**63 - 1


def parse_id(raw: Any) -> int:
    """An id from the URL: digits that fit a bigint, else 404 (`/incidents/abc/` is not a 500)."""
    text = str(raw or "")
    if not (text.isascii() and text.isdigit()) or len(text) > 19 or int(text) > MAX_DB_ID:
        raise exceptions.NotFound
    return int(text)


class QueryParamsSerializer(StrictSerializer):  # type: ignore[type-arg]
    """A serializer of query parameters. DRF reads `?file=` (present but empty) as absent; here an
    empty value is refused like any other invalid one, as the OpenAPI schema describes it, unless
    the field allows blanks."""

    def to_internal_value(self, data: Any) -> Any:
        if hasattr(data, "get"):
            blank = {name: [serializers.CharField.default_error_messages["blank"]]
                     for name, field in self.fields.items()
                     if not field.read_only and name in data and data.get(name) == ""
                     and not getattr(field, "allow_blank", False)}
            if blank:
                raise exceptions.ValidationError(blank)
        return super().to_internal_value(data)


@csrf_exempt  # nothing to protect: it only ever answers 404 (else a session cookie makes it an HTML 403)
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """A path under /api/v1/ that no route matches: 404 in the API's JSON shape."""
    return JsonResponse({"detail": str(exceptions.NotFound.default_detail)}, status=status.HTTP_404_NOT_FOUND)
