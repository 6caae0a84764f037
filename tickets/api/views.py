"""The ticket API kernel: one viewset base that every ticket type (incidents, service requests,
later problems and changes) extends, so the transition endpoint and the timeline (comments, work
logs, attachments, events) are written once. Reads go through selectors, writes through services."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, ClassVar

from django.conf import settings
from django.db.models import QuerySet
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import can_verify_all_audit_chains
from opsdesk import serializers
from opsdesk.api_errors import MAX_DB_ID, PayloadTooLarge, QueryParamsSerializer, parse_id

from ..audit import chain_verify
from ..choices import TicketKind
from ..filtersets import ServiceRequestFilterSet
from ..models import ServiceRequest, TicketBase
from ..selectors import (
    request_get,
    request_list,
    ticket_attachment_get,
    ticket_attachment_list,
    ticket_comment_list,
    ticket_event_list,
    ticket_worklog_list,
)
from ..services import (
    request_create,
    request_transition,
    ticket_attachment_add,
    ticket_comment_add,
    ticket_worklog_add,
)
from .idempotency import IDEMPOTENCY_KEY_REUSED, idempotent_create
from .serializers import (
    AttachmentInputSerializer,
    AttachmentSerializer,
    CommentInputSerializer,
    CommentSerializer,
    RequestTransitionInputSerializer,
    ServiceRequestCreateSerializer,
    ServiceRequestDetailSerializer,
    ServiceRequestSerializer,
    TicketEventSerializer,
    TransitionInputSerializer,
    WorkLogInputSerializer,
    WorkLogSerializer,
)

# Multipart framing around the file: a request this much larger than the limit is refused unread.
MULTIPART_SLACK = 64 * 1024


TIMELINE_ACTION = {"filter_backends": [], "ordering_fields": ("created_at",), "ordering": ("created_at", "id")}


class TicketViewSet(viewsets.GenericViewSet):  # type: ignore[type-arg]
    """Base of every ticket type's viewset. Subclasses set the serializers and implement the
    three hooks `ticket_list`, `ticket_get` and `ticket_transition` with their selectors/services."""

    lookup_value_regex = "[^/.]+"
    http_method_names = ["get", "post", "patch", "head", "options"]
    ordering: ClassVar[tuple[str, ...]] = ("-reported_at", "-id")
    ordering_fields: ClassVar[tuple[str, ...]] = ("reported_at", "number", "updated_at", "id")
    list_serializer_class: ClassVar[type[serializers.Serializer[Any]]]
    detail_serializer_class: ClassVar[type[serializers.Serializer[Any]]]
    create_serializer_class: ClassVar[type[serializers.Serializer[Any]]]
    transition_serializer_class: ClassVar[type[TransitionInputSerializer]]
    now: datetime

    # --- hooks ------------------------------------------------------------------------------

    def ticket_list(self) -> QuerySet[Any]:
        raise NotImplementedError

    def ticket_get(self, pk: int) -> TicketBase:
        raise NotImplementedError

    def ticket_transition(self, *, ticket: TicketBase, action: str, version: int | None,
                          payload: dict[str, Any]) -> TicketBase:
        raise NotImplementedError

    # --- plumbing ---------------------------------------------------------------------------

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        self.now = timezone.now()  # read once at the edge (DESIGN.md rule 4)

    def get_queryset(self) -> QuerySet[Any]:
        return self.ticket_list()

    def get_object(self) -> Any:
        ticket = self.ticket_get(parse_id(self.kwargs.get(self.lookup_url_kwarg or self.lookup_field)))
        self.check_object_permissions(self.request, ticket)
        return ticket

    def get_serializer_class(self) -> Any:
        if self.action in ("list", "queue", "mine"):
            return self.list_serializer_class
        if self.action == "create":
            return self.create_serializer_class
        if self.action == "transition":
            return self.transition_serializer_class
        return self.detail_serializer_class

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context["now"] = getattr(self, "now", None) or timezone.now()
        context["download_route"] = f"{self.basename}-attachment-download"
        return context

    def detail_response(self, ticket: TicketBase, *, status_code: int = status.HTTP_200_OK) -> Response:
        return Response(self.detail_serializer_class(ticket, context=self.get_serializer_context()).data,
                        status=status_code)

    def paged(self, queryset: QuerySet[Any], serializer_class: type[serializers.Serializer[Any]]) -> Response:
        page = self.paginate_queryset(queryset)
        data = serializer_class(page, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.detail_response(self.get_object())

    # --- transition -------------------------------------------------------------------------

    @action(detail=True, methods=["post"], filter_backends=[])
    def transition(self, request: Request, pk: str | None = None) -> Response:
        ticket = self.get_object()
        serializer = self.transition_serializer_class(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        updated = self.ticket_transition(
            ticket=ticket, action=serializer.validated_data["action"],
            version=serializer.validated_data.get("version"), payload=serializer.payload(),
        )
        return self.detail_response(updated)

    # --- timeline ---------------------------------------------------------------------------

    @extend_schema(methods=["GET"], responses=CommentSerializer(many=True))
    @extend_schema(methods=["POST"], request=CommentInputSerializer, responses={201: CommentSerializer})
    @action(detail=True, methods=["get", "post"], **TIMELINE_ACTION)
    def comments(self, request: Request, pk: str | None = None) -> Response:
        ticket = self.get_object()
        if request.method == "POST":
            serializer = CommentInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            comment = ticket_comment_add(ticket=ticket, author=request.user, now=self.now, **serializer.validated_data)
            return Response(CommentSerializer(comment, context=self.get_serializer_context()).data,
                            status=status.HTTP_201_CREATED)
        return self.paged(ticket_comment_list(user=request.user, ticket=ticket), CommentSerializer)

    @extend_schema(methods=["GET"], responses=WorkLogSerializer(many=True),
                   description="Internal work logs; they do not exist for customers (404).")
    @extend_schema(methods=["POST"], request=WorkLogInputSerializer, responses={201: WorkLogSerializer})
    @action(detail=True, methods=["get", "post"], **TIMELINE_ACTION)
    def worklogs(self, request: Request, pk: str | None = None) -> Response:
        ticket = self.get_object()
        logs = ticket_worklog_list(user=request.user, ticket=ticket)  # 404 for customers
        if request.method == "POST":
            serializer = WorkLogInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            log = ticket_worklog_add(ticket=ticket, author=request.user, now=self.now, **serializer.validated_data)
            return Response(WorkLogSerializer(log, context=self.get_serializer_context()).data,
                            status=status.HTTP_201_CREATED)
        return self.paged(logs, WorkLogSerializer)

    @extend_schema(methods=["GET"], responses=AttachmentSerializer(many=True))
    @extend_schema(methods=["POST"], request={"multipart/form-data": AttachmentInputSerializer},
                   responses={201: AttachmentSerializer, 413: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get", "post"], parser_classes=[MultiPartParser, FormParser], **TIMELINE_ACTION)
    def attachments(self, request: Request, pk: str | None = None) -> Response:
        ticket = self.get_object()
        if request.method == "POST":
            limit = settings.ATTACHMENT_MAX_BYTES
            too_large = _("The file is larger than the limit of %(limit)s bytes (%(mb)s MB).") % {
                "limit": limit, "mb": round(limit / (1024 * 1024), 1)}
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > limit + MULTIPART_SLACK:
                raise PayloadTooLarge(too_large)  # refused before the body is read
            serializer = AttachmentInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            upload = serializer.validated_data["file"]
            if upload.size is None or upload.size > limit:
                raise PayloadTooLarge(too_large)
            attachment = ticket_attachment_add(ticket=ticket, author=request.user, upload=upload,
                                               public=serializer.validated_data["public"], now=self.now)
            return Response(AttachmentSerializer(attachment, context=self.get_serializer_context()).data,
                            status=status.HTTP_201_CREATED)
        return self.paged(ticket_attachment_list(user=request.user, ticket=ticket), AttachmentSerializer)

    @extend_schema(
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
        parameters=[OpenApiParameter("attachment_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
    )
    @action(detail=True, methods=["get"], url_path=r"attachments/(?P<attachment_id>[^/.]+)/download",
            url_name="attachment-download", filter_backends=[], pagination_class=None)
    def attachment_download(self, request: Request, pk: str | None = None,
                            attachment_id: str | None = None) -> FileResponse:
        ticket = self.get_object()
        attachment = ticket_attachment_get(user=request.user, ticket=ticket, pk=parse_id(attachment_id))
        try:
            handle = attachment.file.open("rb")
        except FileNotFoundError:
            raise NotFound(_("The file of this attachment is missing from storage.")) from None
        return FileResponse(handle, as_attachment=True, filename=attachment.name,
                            content_type=attachment.content_type or "application/octet-stream")

    @extend_schema(responses=TicketEventSerializer(many=True),
                   description="The tamper-evident audit history (customers see public events only).")
    @action(detail=True, methods=["get"], filter_backends=[], ordering_fields=("seq",), ordering=("seq",))
    def events(self, request: Request, pk: str | None = None) -> Response:
        ticket = self.get_object()
        return self.paged(ticket_event_list(user=request.user, ticket=ticket), TicketEventSerializer)


# --- service requests ---------------------------------------------------------------------------


@extend_schema_view(
    create=extend_schema(request=ServiceRequestCreateSerializer, responses={201: ServiceRequestDetailSerializer, 422: IDEMPOTENCY_KEY_REUSED}),
    transition=extend_schema(request=RequestTransitionInputSerializer, responses=ServiceRequestDetailSerializer),
)
class ServiceRequestViewSet(mixins.ListModelMixin, TicketViewSet):
    """Service requests, complaints, consultations and training requests (REQ-…)."""

    queryset = ServiceRequest.objects.none()  # the schema's model; requests go through the selector
    filterset_class = ServiceRequestFilterSet
    http_method_names = ["get", "post", "head", "options"]
    list_serializer_class = ServiceRequestSerializer
    detail_serializer_class = ServiceRequestDetailSerializer
    create_serializer_class = ServiceRequestCreateSerializer
    transition_serializer_class = RequestTransitionInputSerializer

    def ticket_list(self) -> QuerySet[Any]:
        return request_list(user=self.request.user)

    def ticket_get(self, pk: int) -> TicketBase:
        return request_get(user=self.request.user, pk=pk)

    def ticket_transition(self, *, ticket: TicketBase, action: str, version: int | None,
                          payload: dict[str, Any]) -> TicketBase:
        return request_transition(request_id=ticket.pk, actor=self.request.user, action=action, version=version,
                                  payload=payload, now=self.now)  # type: ignore[no-any-return]

    @idempotent_create
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = ServiceRequestCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        ticket = request_create(actor=request.user, now=self.now, **serializer.validated_data)
        return self.detail_response(ticket, status_code=status.HTTP_201_CREATED)


# --- audit ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditTarget:
    """One ticket type the audit endpoint can verify: its model and its visibility selector."""

    model: type[TicketBase]
    visible: Callable[..., QuerySet[Any]]  # called as visible(user=...)


class AuditVerifyQuerySerializer(QueryParamsSerializer):
    kind = serializers.ChoiceField(choices=TicketKind.choices, required=False,
                                   help_text="The kind of ticket; required with `id`.")
    id = serializers.IntegerField(required=False, min_value=1, max_value=MAX_DB_ID)


BREAKS_SHOWN = 1000

AuditVerifyResponse = inline_serializer("AuditVerifyResponse", {
    "ok": serializers.BooleanField(),
    "checked": serializers.IntegerField(help_text="How many tickets were checked."),
    "truncated": serializers.BooleanField(help_text=f"More than {BREAKS_SHOWN} breaks were found; the first are shown."),
    "breaks": inline_serializer("AuditBreak", {
        "ticket_kind": serializers.CharField(), "ticket_id": serializers.IntegerField(),
        "seq": serializers.IntegerField(allow_null=True), "event_id": serializers.IntegerField(allow_null=True),
        "reason": serializers.CharField(),
        "category": serializers.ChoiceField(
            choices=["event_altered", "chain_broken", "row_differs", "anchor_mismatch"],
            help_text="event_altered: an event no longer matches its keyed hash; chain_broken: events missing, "
                      "reordered or relinked, or the head moved; row_differs: a visible row (title, status, fault "
                      "level, comment, work log, attachment) differs from the event that wrote it."),
        "record": serializers.CharField(help_text="The visible row that differs, e.g. `comment 12` (row_differs)."),
    }, many=True),
})


class AuditVerifyView(APIView):
    """Verify the tamper-evident event chains (tickets/audit.py). Anyone may verify one ticket they can
    see; every ticket of a kind (or of every kind) only the roles of
    accounts.permissions.can_verify_all_audit_chains (superusers, managers, fault analysts)."""

    targets: ClassVar[dict[str, AuditTarget]] = {}

    @extend_schema(parameters=[AuditVerifyQuerySerializer], responses=AuditVerifyResponse)
    def get(self, request: Request) -> Response:
        query = AuditVerifyQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        kind, ticket_id = query.validated_data.get("kind"), query.validated_data.get("id")
        user: Any = request.user
        if kind is not None and kind not in self.targets:
            raise serializers.ValidationError({"kind": [_("Choose one of: %(kinds)s.") % {
                "kinds": ", ".join(self.targets)}]})
        if ticket_id is not None and kind is None:
            raise serializers.ValidationError({"kind": [_("Say which kind of ticket this id is.")]})
        if ticket_id is None and not can_verify_all_audit_chains(user):
            if user.is_customer:  # a customer may verify one ticket, not a whole kind
                raise PermissionDenied(_("Give the id of one of your organisation's tickets."))
            raise PermissionDenied(_("Only managers and fault analysts verify every ticket at once; give the kind "
                                     "and id of one ticket you can see."))
        checked, breaks = 0, []
        for name in [kind] if kind else list(self.targets):
            target = self.targets[name]
            if ticket_id is not None:
                if not target.visible(user=user).filter(pk=ticket_id).exists():
                    raise NotFound
                checked += 1
                breaks += list(chain_verify(ticket_model=target.model, ticket_ids=[ticket_id]))
            else:
                checked += target.model.objects.count()
                breaks += list(chain_verify(ticket_model=target.model))
        return Response({
            "ok": not breaks, "checked": checked, "truncated": len(breaks) > BREAKS_SHOWN,
            "breaks": [asdict(b) for b in breaks[:BREAKS_SHOWN]],
        })
