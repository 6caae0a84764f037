"""Daily audit anchors (tickets/anchors.py): list them and verify one. A customer sees and
verifies their own organisation's anchors only; another organisation's anchor is 404."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from opsdesk import serializers
from opsdesk.api_errors import MAX_DB_ID, parse_id

from ..anchors import audit_anchor_get, audit_anchor_list, audit_anchor_verify
from ..models import AuditAnchor


class AuditAnchorSerializer(serializers.ModelSerializer[AuditAnchor]):
    organization_code = serializers.CharField(source="organization.code", read_only=True)

    class Meta:
        model = AuditAnchor
        fields = ("id", "organization", "organization_code", "day", "cutoff", "digest", "prev_digest", "tickets",
                  "events", "created_at")
        read_only_fields = fields


class AuditAnchorQuerySerializer(serializers.Serializer[Any]):
    organization = serializers.IntegerField(required=False, min_value=1, max_value=MAX_DB_ID,
                                            help_text="Staff: only this organisation's anchors.")


AnchorVerifyResponse = inline_serializer("AuditAnchorVerifyResponse", {
    "ok": serializers.BooleanField(),
    "digest": serializers.CharField(help_text="The digest stored (and published) for that day."),
    "recomputed": serializers.CharField(help_text="The digest recomputed from the history as it is now."),
    "prev_ok": serializers.BooleanField(help_text="prev_digest is the digest of the previous day's anchor."),
})


@extend_schema_view(
    list=extend_schema(parameters=[AuditAnchorQuerySerializer],
                       description="Daily digests over the heads of every ticket chain of one organisation, each "
                                   "chained to the previous day's. Customers: their organisation's."),
    retrieve=extend_schema(parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)]),
    verify=extend_schema(parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)],
                         responses=AnchorVerifyResponse,
                         description="Recompute the anchor from the history as it is now and compare."),
)
class AuditAnchorViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[AuditAnchor]):
    serializer_class = AuditAnchorSerializer
    permission_classes = [IsAuthenticated]
    queryset = AuditAnchor.objects.none()  # the schema's model; requests go through the selectors
    ordering = ("-day", "-id")
    ordering_fields = ("day", "id")

    def get_queryset(self) -> Any:
        query = AuditAnchorQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return audit_anchor_list(user=self.request.user, organization_id=query.validated_data.get("organization"))

    def get_object(self) -> AuditAnchor:
        return audit_anchor_get(user=self.request.user, pk=parse_id(self.kwargs.get("pk")))

    @action(detail=True, methods=["get"])
    def verify(self, request: Request, pk: str | None = None) -> Response:
        check = audit_anchor_verify(anchor=self.get_object())
        return Response({"ok": check.ok, "digest": check.anchor.digest, "recomputed": check.recomputed,
                         "prev_ok": check.prev_ok})
