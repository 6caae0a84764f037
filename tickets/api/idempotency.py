"""The `@idempotent_create` decorator for API create actions (tickets/idempotency.py) and its
OpenAPI header parameter."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from ..idempotency import (
    IdempotencyKeyReused,
    idempotency_key_claim,
    idempotency_key_clean,
    idempotency_key_complete,
    request_fingerprint,
)

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description="Any unique string (e.g. a UUID) of at most 255 printable ASCII characters. A retry with the same "
                "key, by the same user, with the same body gets the first response again (same status, same id; "
                "header `Idempotent-Replayed: true`) instead of creating a duplicate. The same key with a different "
                "body is refused with 422. Keys expire after 24 hours (IDEMPOTENCY_KEY_TTL_HOURS).",
)
REPLAYED_HEADER = "Idempotent-Replayed"
# The create's 422 (name it beside the 201 in the view's extend_schema: a class-level schema
# replaces the responses a method decorator gives).
IDEMPOTENCY_KEY_REUSED = OpenApiResponse(
    response=inline_serializer("IdempotencyKeyReused", {"idempotency_key": serializers.ListField(
        child=serializers.CharField())}),
    description="The Idempotency-Key was already used by this user with a different request.",
)


class IdempotencyKeyMismatch(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = _("This Idempotency-Key was already used with a different request. "
                       "Send a new key for a new request.")
    default_code = "idempotency_key_reused"

    def __init__(self) -> None:
        super().__init__({"idempotency_key": [self.default_detail]})


def _body(request: Request) -> Any:
    data = request.data
    if hasattr(data, "lists"):  # form / multipart: every value of every field, files by name and size
        return {name: [[v.name, v.size] if isinstance(v, UploadedFile) else v for v in values]
                for name, values in data.lists()}
    return data


def idempotent_create(view_method: Callable[..., Response]) -> Callable[..., Response]:
    """Make a create action honour the `Idempotency-Key` header."""

    @functools.wraps(view_method)
    def wrapper(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        raw = request.headers.get("Idempotency-Key")
        if raw is None:
            return view_method(self, request, *args, **kwargs)
        try:
            key = idempotency_key_clean(raw)
        except DjangoValidationError as exc:
            raise exceptions.ValidationError(exc.message_dict) from exc
        fingerprint = request_fingerprint(method=request.method or "", path=request.path, body=_body(request))
        with transaction.atomic():
            try:
                claim = idempotency_key_claim(user=request.user, key=key, fingerprint=fingerprint, now=timezone.now())
            except IdempotencyKeyReused as exc:
                raise IdempotencyKeyMismatch from exc
            if claim.replay:
                return Response(claim.record.response, status=claim.record.status_code,
                                headers={REPLAYED_HEADER: "true"})
            response = view_method(self, request, *args, **kwargs)
            if not status.is_success(response.status_code):
                transaction.set_rollback(True)
                return response
            stored = json.loads(JSONRenderer().render(response.data))
            idempotency_key_complete(record=claim.record, status_code=response.status_code, response=stored)
        return response

    return extend_schema(parameters=[IDEMPOTENCY_HEADER])(wrapper)
