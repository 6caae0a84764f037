"""Document endpoints: the library (list/detail/create/partial update), publish / unpublish /
archive, versions (list, multipart upload, download of any version), history, and the list of
documents waiting for a new version after a change. Reads through selectors, writes through services."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ParseError, PermissionDenied, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from opsdesk.api_errors import PayloadTooLarge, parse_id
from opsdesk.filters import query_bool
from opsdesk.parsers import JSONParser

from ..filtersets import DocumentFilterSet
from ..models import Document
from ..selectors import (
    document_base,
    document_event_list,
    document_get,
    document_update_due_list,
    document_version_get,
    document_version_list,
    with_update_due,
)
from ..services import (
    document_archive,
    document_create,
    document_publish,
    document_unpublish,
    document_update,
    document_version_add,
    max_upload_bytes,
)
from .serializers import (
    DocumentArchiveSerializer,
    DocumentCreateSerializer,
    DocumentDetailSerializer,
    DocumentEventSerializer,
    DocumentSerializer,
    DocumentUpdateSerializer,
    DocumentVersionInputSerializer,
    DocumentVersionSerializer,
    DocumentWriteSerializer,
)

# Multipart framing around the file: a request this much larger than the limit is refused unread.
MULTIPART_SLACK = 64 * 1024
NESTED = {"filter_backends": [], "ordering_fields": (), "ordering": ("-number",)}
PARSERS = [JSONParser, FormParser, MultiPartParser]


def _too_large_check(request: Request) -> None:
    limit = max_upload_bytes()
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit + MULTIPART_SLACK:
        raise PayloadTooLarge(_too_large_text(limit))  # refused before the body is read


def _too_large_text(limit: int) -> str:
    return _("The file is larger than the limit of %(limit)s bytes (%(mb)s MB).") % {
        "limit": limit, "mb": round(limit / (1024 * 1024), 1)}


def _upload_size_check(upload: Any) -> None:
    limit = max_upload_bytes()
    if upload is not None and (upload.size is None or upload.size > limit):
        raise PayloadTooLarge(_too_large_text(limit))


class DuePagination(PageNumberPagination):
    """The update-due list is ordered by an aggregate (the earliest triggering change), which a
    keyset cannot seek on; it is a bounded work list, so numbered pages are fine here."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is not None and not (raw.isascii() and raw.isdigit() and int(raw) >= 1):
            raise ValidationError({self.page_size_query_param: [
                _("Enter a whole number from 1 to %(max)s.") % {"max": self.max_page_size}]})
        return super().get_page_size(request) or self.page_size


WRITE_RESPONSES = {200: DocumentDetailSerializer, 409: OpenApiTypes.OBJECT}


@extend_schema_view(
    list=extend_schema(description="Documents visible to the caller (customers: their organisation's published "
                                   "ones), most recently changed first."),
    create=extend_schema(request={"application/json": DocumentCreateSerializer,
                                  "multipart/form-data": DocumentCreateSerializer},
                         responses={201: DocumentDetailSerializer, 413: OpenApiTypes.OBJECT},
                         description="Staff: file a document; send `file` (multipart) to store version 1."),
    partial_update=extend_schema(request=DocumentUpdateSerializer, responses=WRITE_RESPONSES,
                                 description="Staff: change title, category, description or CIs."),
    publish=extend_schema(request=DocumentWriteSerializer, responses=WRITE_RESPONSES,
                          description="Document admins and leads: customers of the organisation may now download "
                                      "every version."),
    unpublish=extend_schema(request=DocumentWriteSerializer, responses=WRITE_RESPONSES,
                            description="Document admins and leads: withdraw the document from the portal."),
    archive=extend_schema(request=DocumentArchiveSerializer, responses=WRITE_RESPONSES,
                          description="Document admins and leads: retire the document (never deleted)."),
    update_due=extend_schema(
        responses=DocumentSerializer(many=True),
        parameters=[OpenApiParameter("overdue", OpenApiTypes.BOOL, description="Only those past the deadline.")],
        description="Staff: active documents waiting for a new version after a change on one of their CIs was "
                    "implemented (due within DOCUMENT_UPDATE_DAYS, default 3 days), longest waiting first."),
)
class DocumentViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """The document library (资料库): versioned documents of organisations and their CIs."""

    queryset = Document.objects.none()  # the schema's model; requests go through the selectors
    http_method_names = ["get", "post", "patch", "head", "options"]
    filterset_class = DocumentFilterSet
    ordering = ("-updated_at", "-id")
    ordering_fields = ("updated_at", "created_at", "title", "id")
    parser_classes = PARSERS
    lookup_value_regex = "[^/.]+"

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        self.now = timezone.now()  # read once at the edge

    def get_queryset(self) -> QuerySet[Document]:
        return with_update_due(document_base(user=self.request.user).select_related("organization"), now=self.now)

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.action in ("update_due",):
            return queryset
        return super().filter_queryset(queryset)

    def get_object(self) -> Document:
        return document_get(user=self.request.user, pk=parse_id(self.kwargs.get("pk")))

    def get_serializer_class(self) -> Any:
        if self.action == "retrieve":
            return DocumentDetailSerializer
        return DocumentSerializer

    def _detail(self, document: Document, *, status_code: int = status.HTTP_200_OK) -> Response:
        annotated = with_update_due(document_base(user=self.request.user).select_related("organization"),
                                    now=self.now).get(pk=document.pk)
        return Response(DocumentDetailSerializer(annotated, context=self.get_serializer_context()).data,
                        status=status_code)

    def _paged(self, queryset: QuerySet[Any], serializer_class: Any) -> Response:
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(serializer_class(page, many=True, context=self.get_serializer_context()).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._detail(self.get_object())

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        _staff_only_write(request)
        _too_large_check(request)
        serializer = DocumentCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        upload = data.pop("file", None)
        _upload_size_check(upload)
        document = document_create(actor=request.user, upload=upload, now=self.now, **data)
        return self._detail(document, status_code=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        document = self.get_object()
        _staff_only_write(request)
        serializer = DocumentUpdateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        version = changes.pop("version", None)
        if not changes:
            raise ParseError(_("Send at least one field to change."))
        updated = document_update(document_id=document.pk, actor=request.user, version=version, changes=changes,
                                  now=self.now)
        return self._detail(updated)

    def _write(self, request: Request, serializer_class: Any, service: Any, **extra: Any) -> Response:
        document = self.get_object()
        _staff_only_write(request)
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = {"version": None, **serializer.validated_data}
        updated = service(document_id=document.pk, actor=request.user, now=self.now, **data, **extra)
        return self._detail(updated)

    @action(detail=True, methods=["post"], filter_backends=[])
    def publish(self, request: Request, pk: str | None = None) -> Response:
        return self._write(request, DocumentWriteSerializer, document_publish)

    @action(detail=True, methods=["post"], filter_backends=[])
    def unpublish(self, request: Request, pk: str | None = None) -> Response:
        return self._write(request, DocumentWriteSerializer, document_unpublish)

    @action(detail=True, methods=["post"], filter_backends=[])
    def archive(self, request: Request, pk: str | None = None) -> Response:
        return self._write(request, DocumentArchiveSerializer, document_archive)

    @extend_schema(methods=["GET"], responses=DocumentVersionSerializer(many=True),
                   description="Every version, newest first.")
    @extend_schema(methods=["POST"], request={"multipart/form-data": DocumentVersionInputSerializer},
                   responses={201: DocumentVersionSerializer, 409: OpenApiTypes.OBJECT, 413: OpenApiTypes.OBJECT},
                   description="Staff: upload the next version (numbered n + 1; earlier ones are kept). Send the "
                               "document's `version` as read; a stale one gets 409.")
    @action(detail=True, methods=["get", "post"], parser_classes=[MultiPartParser, FormParser], **NESTED)
    def versions(self, request: Request, pk: str | None = None) -> Response:
        document = self.get_object()
        if request.method == "POST":
            _staff_only_write(request)
            _too_large_check(request)
            serializer = DocumentVersionInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
            _upload_size_check(data["file"])
            item = document_version_add(document_id=document.pk, actor=request.user, upload=data["file"],
                                        note=data["note"], version=data.get("version"), now=self.now)
            return Response(DocumentVersionSerializer(item, context=self.get_serializer_context()).data,
                            status=status.HTTP_201_CREATED)
        return self._paged(document_version_list(user=request.user, document=document), DocumentVersionSerializer)

    @extend_schema(
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
        parameters=[OpenApiParameter("version_number", OpenApiTypes.INT, OpenApiParameter.PATH)],
        description="Download the file of one version.",
    )
    @action(detail=True, methods=["get"], url_path=r"versions/(?P<version_number>[0-9]+)/file",
            url_name="version-file", filter_backends=[], pagination_class=None)
    def version_file(self, request: Request, pk: str | None = None, version_number: str | None = None) -> FileResponse:
        document = self.get_object()
        item = document_version_get(user=request.user, document=document, number=parse_id(version_number))
        try:
            handle = item.file.open("rb")
        except FileNotFoundError:
            raise NotFound(_("The file of this version is missing from storage.")) from None
        return FileResponse(handle, as_attachment=True, filename=item.name,
                            content_type=item.content_type or "application/octet-stream")

    @extend_schema(responses=DocumentEventSerializer(many=True),
                   description="Staff: the hash-chained history (who, when, what); customers get 404.")
    @action(detail=True, methods=["get"], filter_backends=[], ordering_fields=("seq",), ordering=("seq",))
    def events(self, request: Request, pk: str | None = None) -> Response:
        document = self.get_object()
        return self._paged(document_event_list(user=request.user, document=document), DocumentEventSerializer)

    @action(detail=False, methods=["get"], url_path="update-due", filter_backends=[], pagination_class=DuePagination)
    def update_due(self, request: Request) -> Response:
        user: Any = request.user
        if user.is_customer and not user.is_superuser:
            raise PermissionDenied
        overdue = bool(query_bool(request.query_params, "overdue"))
        return self._paged(document_update_due_list(user=user, now=self.now, overdue_only=overdue),
                           DocumentSerializer)


def _staff_only_write(request: Request) -> None:
    """Customers read; writing is for staff (PermissionDenied → 403 only after the object was
    found visible, so nothing of another organisation is revealed)."""
    user: Any = request.user
    if user.is_customer and not user.is_superuser:
        raise PermissionDenied
