"""Permission-scoped reads of service requests and call records."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from .models import ServiceRequest


def request_list(*, user: Any) -> QuerySet[ServiceRequest]:
    return ServiceRequest.objects.visible_to(user).select_related("organization", "contact", "assignee", "group")


def request_get(*, user: Any, pk: Any) -> ServiceRequest:
    try:
        return request_list(user=user).get(pk=int(pk))
    except (ServiceRequest.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
