"""Security API (staff only; customers: 404): findings with their decisions, antivirus status
(upserted by CI: the endpoint an antivirus console or script posts to with a token), and scanner
imports (preview, or import at once with `apply`)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from cmdb.selectors import ci_get
from opsdesk.api_errors import parse_id

from ..choices import UpdateSource
from ..filtersets import AntivirusFilterSet, FindingFilterSet
from ..models import AntivirusStatus, Finding, ScanImport
from ..parsers import ScanFileError
from ..selectors import antivirus_get, antivirus_list, finding_get, finding_list, import_get, import_list
from ..services import antivirus_report, finding_transition, scan_import_apply, scan_import_preview
from .serializers import (
    AntivirusInputSerializer,
    AntivirusSerializer,
    FindingDecisionSerializer,
    FindingSerializer,
    ScanImportSerializer,
    ScanUploadSerializer,
)


def _schema(view: Any) -> bool:
    return bool(getattr(view, "swagger_fake_view", False))


def _staff(request: Request) -> None:
    user: Any = request.user
    if not user.is_authenticated or not user.is_staff_member:
        raise Http404


class FindingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """Vulnerability findings (staff only)."""

    serializer_class = FindingSerializer
    filterset_class = FindingFilterSet
    ordering = ("due_on", "id")
    ordering_fields = ("due_on", "first_seen_at")

    def get_queryset(self) -> QuerySet[Finding]:
        if _schema(self):
            return Finding.objects.none()
        _staff(self.request)
        return finding_list(user=self.request.user)

    def get_object(self) -> Finding:
        _staff(self.request)
        return finding_get(user=self.request.user, pk=parse_id(self.kwargs.get("pk")))

    @extend_schema(request=FindingDecisionSerializer, responses=FindingSerializer)
    @action(detail=True, methods=["post"])
    def decision(self, request: Request, pk: str | None = None) -> Response:
        """fix, accept (a reason; manager, supervisor or regional lead), false_positive (a reason) or reopen."""
        finding = self.get_object()
        data = FindingDecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        finding_transition(finding_id=finding.pk, actor=request.user, now=timezone.now(), **data.validated_data)
        return Response(FindingSerializer(finding_get(user=request.user, pk=finding.pk)).data)


class AntivirusViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """Antivirus status per CI. POST creates or replaces the status of the CI named (201)."""

    serializer_class = AntivirusSerializer
    filterset_class = AntivirusFilterSet
    ordering = ("ci_id", "id")
    ordering_fields = ("updated_at",)
    lookup_field = "ci"

    def get_queryset(self) -> QuerySet[AntivirusStatus]:
        if _schema(self):
            return AntivirusStatus.objects.none()
        _staff(self.request)
        return antivirus_list(user=self.request.user)

    @extend_schema(responses=AntivirusSerializer)
    def retrieve(self, request: Request, ci: str | None = None) -> Response:
        _staff(request)
        return Response(AntivirusSerializer(antivirus_get(user=request.user, ci_pk=parse_id(ci))).data)

    @extend_schema(request=AntivirusInputSerializer, responses={201: AntivirusSerializer})
    def create(self, request: Request) -> Response:
        _staff(request)
        data = AntivirusInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        ci = ci_get(user=request.user, pk=values.pop("ci"))
        row = antivirus_report(ci=ci, data=values, actor=request.user, source=UpdateSource.API, now=timezone.now())
        return Response(AntivirusSerializer(row).data, status=status.HTTP_201_CREATED)


class ScanImportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """Scanner exports: upload (multipart) → preview with counts; `apply` imports it."""

    serializer_class = ScanImportSerializer
    ordering = ("-created_at", "-id")
    ordering_fields = ("created_at",)
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[ScanImport]:
        if _schema(self):
            return ScanImport.objects.none()
        _staff(self.request)
        return import_list(user=self.request.user)

    def get_object(self) -> ScanImport:
        _staff(self.request)
        return import_get(user=self.request.user, pk=parse_id(self.kwargs.get("pk")))

    @extend_schema(request={"multipart/form-data": ScanUploadSerializer}, responses={201: ScanImportSerializer})
    def create(self, request: Request) -> Response:
        _staff(request)
        data = ScanUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        now = timezone.now()
        try:
            scan = scan_import_preview(organization=data.validated_data["organization"], content=upload.read(),
                                       filename=upload.name, full_scan=data.validated_data["full_scan"],
                                       actor=request.user, now=now)
        except ScanFileError as exc:
            return Response({"file": [str(exc)]}, status=status.HTTP_400_BAD_REQUEST)
        if data.validated_data["apply"]:
            scan = scan_import_apply(import_id=scan.pk, actor=request.user, now=now)
        return Response(ScanImportSerializer(import_get(user=request.user, pk=scan.pk)).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ScanImportSerializer)
    @action(detail=True, methods=["post"])
    def apply(self, request: Request, pk: str | None = None) -> Response:
        scan = self.get_object()
        scan_import_apply(import_id=scan.pk, actor=request.user, now=timezone.now())
        return Response(ScanImportSerializer(import_get(user=request.user, pk=scan.pk)).data)


ScanImportViewSet.parser_classes = [MultiPartParser]  # uploads only; `apply` takes no body
