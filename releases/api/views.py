"""Release endpoints: list/retrieve/create/partial update, transitions, deployments, and the
timeline from the ticket kernel. Customers read their own organisation's releases; writing is staff's."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ParseError
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from tickets.api.idempotency import IDEMPOTENCY_KEY_REUSED, idempotent_create
from tickets.api.views import TicketViewSet
from tickets.models import TicketBase

from ..filtersets import ReleaseFilterSet
from ..models import Release, ReleaseChange
from ..selectors import deployment_list, release_base, release_get
from ..services import deployment_record, release_create, release_transition, release_update
from .serializers import (
    DeploymentInputSerializer,
    DeploymentSerializer,
    ReleaseCreateSerializer,
    ReleaseDetailSerializer,
    ReleaseSerializer,
    ReleaseTransitionInputSerializer,
    ReleaseUpdateSerializer,
)

DEPLOYMENT_LIST = {"filter_backends": [], "ordering_fields": ("started_at",), "ordering": ("started_at", "id")}


class StaffWritesOnly(BasePermission):
    """Customers may read (their organisation's releases, through the selectors); only staff write."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user: Any = request.user
        if not (user and user.is_authenticated):
            return False
        return request.method in SAFE_METHODS or bool(user.is_staff_member)


def with_changes(qs: QuerySet[Release]) -> QuerySet[Release]:
    return qs.prefetch_related(Prefetch("release_changes", queryset=ReleaseChange.objects.select_related("change")
                                        .only("id", "release_id", "change_id", "change__number")))


@extend_schema_view(
    list=extend_schema(description="Releases (REL-…) visible to you, newest first. Customers: their organisation's."),
    create=extend_schema(request=ReleaseCreateSerializer, responses={201: ReleaseDetailSerializer, 422: IDEMPOTENCY_KEY_REUSED},
                         description="Staff: plan a release. `changes` must belong to its organisation and to no "
                                     "other open release."),
    partial_update=extend_schema(request=ReleaseUpdateSerializer, responses=ReleaseDetailSerializer,
                                 description="Staff: edit; `changes` replaces the set. Send `version` as read: a stale "
                                             "one gets 409."),
    transition=extend_schema(request=ReleaseTransitionInputSerializer, responses=ReleaseDetailSerializer),
)
class ReleaseViewSet(mixins.ListModelMixin, TicketViewSet):
    """Releases: group changes, plan a window, record deployments per environment or site, verify or
    roll back. `allowed_actions` is on the detail and write responses."""

    queryset = Release.objects.none()  # the schema's model; requests go through the selectors
    permission_classes = [StaffWritesOnly]
    filterset_class = ReleaseFilterSet
    list_serializer_class = ReleaseSerializer
    detail_serializer_class = ReleaseDetailSerializer
    create_serializer_class = ReleaseCreateSerializer
    transition_serializer_class = ReleaseTransitionInputSerializer

    def ticket_list(self) -> QuerySet[Any]:
        return with_changes(release_base(user=self.request.user))

    def ticket_get(self, pk: int) -> TicketBase:
        return release_get(user=self.request.user, pk=pk)

    def ticket_transition(self, *, ticket: TicketBase, action: str, version: int | None,
                          payload: dict[str, Any]) -> TicketBase:
        return release_transition(release_id=ticket.pk, actor=self.request.user, action=action, version=version,
                                  payload=payload, now=self.now)

    def detail_response(self, ticket: TicketBase, *, status_code: int = status.HTTP_200_OK) -> Response:
        fresh = with_changes(release_base(user=self.request.user)).get(pk=ticket.pk)
        return super().detail_response(fresh, status_code=status_code)

    def get_serializer_class(self) -> Any:
        if self.action == "partial_update":
            return ReleaseUpdateSerializer
        if self.action == "deployments":
            return DeploymentSerializer
        return super().get_serializer_class()

    @idempotent_create
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = ReleaseCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        release = release_create(actor=request.user, now=self.now, **serializer.validated_data)
        return self.detail_response(release, status_code=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        release = self.get_object()
        serializer = ReleaseUpdateSerializer(data=request.data, partial=True, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        version = fields.pop("version", None)
        change_list = fields.pop("changes", None)
        if not fields and change_list is None:
            raise ParseError(_("Send at least one field to change."))
        updated = release_update(release_id=release.pk, actor=request.user, version=version, fields=fields,
                                 change_list=change_list, now=self.now)
        return self.detail_response(updated)

    @extend_schema(methods=["GET"], responses=DeploymentSerializer(many=True),
                   description="The release's deployment records (append-only), by start time.")
    @extend_schema(methods=["POST"], request=DeploymentInputSerializer, responses={201: DeploymentSerializer},
                   description="Staff: record one deployment to an environment or site, once it has finished "
                               "(the release must be deploying, deployed or rolled back).")
    @action(detail=True, methods=["get", "post"], **DEPLOYMENT_LIST)
    def deployments(self, request: Request, pk: str | None = None) -> Response:
        release = self.get_object()
        if request.method == "POST":
            serializer = DeploymentInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            deployment = deployment_record(release_id=release.pk, actor=request.user, now=self.now,
                                           **serializer.validated_data)
            return Response(DeploymentSerializer(deployment, context=self.get_serializer_context()).data,
                            status=status.HTTP_201_CREATED)
        return self.paged(deployment_list(user=request.user, release=release), DeploymentSerializer)
