"""CMDB endpoints: CIs (read for everyone within their tenancy, writes for staff), relationships,
impact analysis, history, import/export, CI classes and maintenance contracts."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ParseError, PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from opsdesk.api_errors import MAX_DB_ID, PayloadTooLarge, parse_id
from opsdesk.filters import IdField

from ..choices import RELATION_INVERSE, ChangeSource, RelationType
from ..filtersets import CIFilterSet, CIRelationFilterSet
from ..models import CI, CIChange, CIClass, CIRelation, MaintenanceContract
from ..selectors import (
    ci_class_list,
    ci_get,
    ci_history,
    ci_impact_result,
    ci_list,
    ci_relations,
    contract_list,
    relation_get,
    relation_list,
)
from ..services import ci_create, ci_import, ci_update, relation_create, relation_retire
from ..transfer import ImportFileError, export_response
from .serializers import (
    CIChangeSerializer,
    CIClassSerializer,
    CICreateSerializer,
    CIRelationCreateSerializer,
    CIRelationSerializer,
    CIRelationsViewSerializer,
    CISerializer,
    CIUpdateSerializer,
    ExportQuerySerializer,
    ImpactQuerySerializer,
    ImpactSerializer,
    ImportInputSerializer,
    ImportReportSerializer,
    MaintenanceContractSerializer,
)

IMPORT_MAX_BYTES = 20 * 1024 * 1024
HISTORY = {"filter_backends": [], "ordering_fields": (), "ordering": ("-at", "-id")}


def require_staff(request: Request) -> None:
    """CMDB writes are for staff; customers read their organisation's CIs only."""
    if not getattr(request.user, "is_staff_member", False):
        raise PermissionDenied(_("Only service-desk staff can change the CMDB."))


def related_end(relation: CIRelation, *, outgoing: bool) -> dict[str, Any]:
    other = relation.target if outgoing else relation.source
    label = RelationType(relation.type).label if outgoing else RELATION_INVERSE[RelationType(relation.type)]
    return {"relation": relation.pk, "label": str(label), "type": relation.type, "ci": other.pk, "name": other.name,
            "ci_class": other.ci_class.code, "status": other.status}


@extend_schema_view(
    create=extend_schema(request=CICreateSerializer, responses={201: CISerializer},
                         description="Staff: create a CI. Attributes are validated against the class's definitions "
                                     "(errors under `attributes.<name>`)."),
    partial_update=extend_schema(request=CIUpdateSerializer, responses=CISerializer,
                                 description="Staff: change fields (send `version`; stale → 409). Retire with "
                                             "`status: retired`; nothing is deleted."),
)
class CIViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """Configuration items. Customers see (read-only) their organisation's; staff see and edit all."""

    queryset = CI.objects.none()  # the schema's model; requests go through the selectors
    serializer_class = CISerializer
    filterset_class = CIFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]
    ordering = ("name", "id")
    ordering_fields = ("name", "updated_at", "id")
    now: Any

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        self.now = timezone.now()  # read once at the edge

    def get_queryset(self) -> QuerySet[CI]:
        return ci_list(user=self.request.user)

    def get_object(self) -> Any:
        ci = ci_get(user=self.request.user, pk=parse_id(self.kwargs["pk"]))
        self.check_object_permissions(self.request, ci)
        return ci

    def _out(self, ci: CI, code: int = status.HTTP_200_OK) -> Response:
        return Response(CISerializer(ci_get(user=self.request.user, pk=ci.pk), context=self.get_serializer_context())
                        .data, status=code)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        require_staff(request)
        serializer = CICreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ci = ci_create(actor=request.user, now=self.now, source=ChangeSource.API, **serializer.validated_data)
        return self._out(ci, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ci = self.get_object()
        require_staff(request)
        serializer = CIUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        version = changes.pop("version", None)
        if not changes:
            raise ParseError(_("Send at least one field to change."))
        ci = ci_update(ci_id=ci.pk, actor=request.user, changes=changes, version=version, now=self.now,
                       source=ChangeSource.API)
        return self._out(ci)

    @extend_schema(parameters=[ImpactQuerySerializer], responses=ImpactSerializer,
                   description="Impact analysis. `direction=dependants` (default): every CI that fails when this one "
                               "fails (transitively: depends on / runs on / hosted on / connects to it, or contained "
                               "by it), business services first, then by depth. `direction=dependencies`: what this "
                               "CI needs. Capped at `limit` rows with the full `count`.")
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def impact(self, request: Request, pk: str | None = None) -> Response:
        ci = self.get_object()
        query = ImpactQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        args = query.validated_data
        result = ci_impact_result(ci_ids=[ci.pk], direction=args["direction"], max_depth=args["max_depth"],
                                  user=request.user, limit=args["limit"])
        return Response(ImpactSerializer({
            "ci": ci.pk, "direction": args["direction"], "max_depth": args["max_depth"], "count": result.total,
            "services": result.services, "truncated": result.total > len(result.rows), "results": result.rows,
        }).data)

    @extend_schema(responses=CIRelationsViewSerializer,
                   description="Active relationships of this CI from both sides, each read from this CI "
                               "('runs on' outgoing, 'runs' incoming).")
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def relations(self, request: Request, pk: str | None = None) -> Response:
        ci = self.get_object()
        outgoing, incoming = ci_relations(user=request.user, ci=ci)
        return Response(CIRelationsViewSerializer({
            "outgoing": [related_end(r, outgoing=True) for r in outgoing],
            "incoming": [related_end(r, outgoing=False) for r in incoming],
        }).data)

    @extend_schema(responses=CIChangeSerializer(many=True),
                   description="Every change of this CI (who, when, field, old → new), newest first. Read-only.")
    @action(detail=True, methods=["get"], queryset=CIChange.objects.none(), **HISTORY)
    def history(self, request: Request, pk: str | None = None) -> Response:
        ci = self.get_object()
        page = self.paginate_queryset(ci_history(user=request.user, ci=ci))
        return self.get_paginated_response(CIChangeSerializer(page, many=True).data)

    @extend_schema(parameters=[ExportQuerySerializer],
                   responses={(200, "text/csv"): OpenApiTypes.BINARY,
                              (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"):
                                  OpenApiTypes.BINARY},
                   description="The filtered CI list (same filters as the list) as CSV or Excel, in the import "
                               "format.")
    @action(detail=False, methods=["get"], pagination_class=None)
    def export(self, request: Request) -> Any:
        query = ExportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        qs = self.filter_queryset(self.get_queryset())
        return export_response(qs, kind=query.validated_data["file"],
                               filename=f"cis-{self.now.astimezone(timezone.get_current_timezone()):%Y%m%d-%H%M}")

    @extend_schema(request={"multipart/form-data": ImportInputSerializer},
                   responses={200: ImportReportSerializer, 400: ImportReportSerializer, 413: OpenApiTypes.OBJECT},
                   description="Staff: import CIs from CSV or .xlsx. `dry_run` (default true) reports row errors and "
                               "what would be created/updated without writing. A real run writes only when no row "
                               "has an error (else 400 with the errors). Matching: asset tag, else serial, within "
                               "the organisation.")
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser, FormParser],
            filter_backends=[], pagination_class=None)
    def import_file(self, request: Request) -> Response:
        require_staff(request)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        too_large = _("The file is larger than the limit of %(mb)s MB.") % {"mb": IMPORT_MAX_BYTES // (1024 * 1024)}
        if length > IMPORT_MAX_BYTES + 64 * 1024:
            raise PayloadTooLarge(too_large)
        serializer = ImportInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        if upload.size is None or upload.size > IMPORT_MAX_BYTES:
            raise PayloadTooLarge(too_large)
        try:
            report = ci_import(content=upload.read(), filename=upload.name or "", actor=request.user, now=self.now,
                               dry_run=serializer.validated_data["dry_run"])
        except ImportFileError as exc:
            return Response({"file": [str(exc)]}, status=status.HTTP_400_BAD_REQUEST)
        data = ImportReportSerializer(report).data
        code = status.HTTP_400_BAD_REQUEST if report.error_count and not report.dry_run else status.HTTP_200_OK
        return Response(data, status=code)


@extend_schema_view(
    create=extend_schema(request=CIRelationCreateSerializer, responses={201: CIRelationSerializer},
                         description="Staff: relate two CIs, `source <type> target` (e.g. app runs_on vm)."),
    retire=extend_schema(request=None, responses=CIRelationSerializer,
                         description="Staff: end a relationship (kept as history, inactive)."),
)
class CIRelationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """Typed relationships between CIs, with their inverse names. Never deleted, retired."""

    queryset = CIRelation.objects.none()
    serializer_class = CIRelationSerializer
    filterset_class = CIRelationFilterSet
    http_method_names = ["get", "post", "head", "options"]
    ordering = ("id",)
    ordering_fields = ("id", "created_at")

    def get_queryset(self) -> QuerySet[CIRelation]:
        return relation_list(user=self.request.user)

    def get_object(self) -> Any:
        relation = relation_get(user=self.request.user, pk=parse_id(self.kwargs["pk"]))
        self.check_object_permissions(self.request, relation)
        return relation

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        require_staff(request)
        serializer = CIRelationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            source = ci_get(user=request.user, pk=data["source"])
        except Http404:
            return Response({"source": [_("No such CI.")]}, status=status.HTTP_400_BAD_REQUEST)
        try:
            target = ci_get(user=request.user, pk=data["target"])
        except Http404:
            return Response({"target": [_("No such CI.")]}, status=status.HTTP_400_BAD_REQUEST)
        relation = relation_create(source=source, target=target, type=data["type"], note=data.get("note", ""),
                                   actor=request.user, now=timezone.now(), change_source=ChangeSource.API)
        return Response(CIRelationSerializer(relation_get(user=request.user, pk=relation.pk)).data,
                        status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def retire(self, request: Request, pk: str | None = None) -> Response:
        relation = self.get_object()
        require_staff(request)
        relation_retire(relation_id=relation.pk, actor=request.user, now=timezone.now(), source=ChangeSource.API)
        return Response(CIRelationSerializer(relation_get(user=request.user, pk=relation.pk)).data)


class CIClassViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """CI classes with their attribute definitions (name, label, type, required, choices)."""

    queryset = CIClass.objects.none()
    serializer_class = CIClassSerializer
    filter_backends: list[Any] = []
    ordering = ("code", "id")
    ordering_fields = ("code", "id")

    def get_queryset(self) -> QuerySet[CIClass]:
        return ci_class_list()

    def get_object(self) -> Any:
        klass = ci_class_list().filter(pk=parse_id(self.kwargs["pk"])).first()
        if klass is None:
            raise NotFound
        return klass


@extend_schema_view(list=extend_schema(parameters=[
    OpenApiParameter("organization", {"type": "integer", "minimum": 1, "maximum": MAX_DB_ID}, required=False)]))
class MaintenanceContractViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,  # type: ignore[type-arg]
                                 viewsets.GenericViewSet):
    """Maintenance contracts (customers: their organisation's)."""

    queryset = MaintenanceContract.objects.none()
    serializer_class = MaintenanceContractSerializer
    filter_backends: list[Any] = []
    ordering = ("id",)
    ordering_fields = ("id",)

    def get_queryset(self) -> QuerySet[MaintenanceContract]:
        qs = contract_list(user=self.request.user)
        org = self.request.query_params.get("organization", "")
        if org:
            qs = qs.filter(organization_id=IdField().clean(org))
        return qs

    def get_object(self) -> Any:
        contract = contract_list(user=self.request.user).filter(pk=parse_id(self.kwargs["pk"])).first()
        if contract is None:
            raise NotFound
        return contract
