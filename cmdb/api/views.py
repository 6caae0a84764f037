"""CMDB endpoints (read-only in v1's foundation; the full CMDB issue adds writes and relations)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import viewsets

from opsdesk.api_errors import parse_id

from ..filtersets import CIFilterSet
from ..models import CI
from ..selectors import ci_get, ci_list
from .serializers import CISerializer


class CIViewSet(viewsets.ReadOnlyModelViewSet):  # type: ignore[type-arg]
    queryset = CI.objects.none()  # the schema's model; requests go through the selectors
    serializer_class = CISerializer
    filterset_class = CIFilterSet
    ordering = ("name", "id")
    ordering_fields = ("name", "updated_at", "id")

    def get_queryset(self) -> QuerySet[CI]:
        return ci_list(user=self.request.user)

    def get_object(self) -> Any:
        ci = ci_get(user=self.request.user, pk=parse_id(self.kwargs["pk"]))
        self.check_object_permissions(self.request, ci)
        return ci
