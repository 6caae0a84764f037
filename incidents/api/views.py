"""Incident endpoints: list/retrieve/create/partial update, transitions and the timeline (from the
ticket kernel), the dispatcher queue and an engineer's open work."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ParseError
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from tickets.api.views import TicketViewSet
from tickets.models import TicketBase

from ..filtersets import IncidentFilterSet
from ..models import Incident
from ..selectors import incident_base, incident_dispatch_queue, incident_get, incident_my_work
from ..services import incident_create, incident_transition, incident_update
from .serializers import (
    IncidentCreateSerializer,
    IncidentDetailSerializer,
    IncidentSerializer,
    IncidentTransitionInputSerializer,
    IncidentUpdateSerializer,
)

WORK_ORDER = ("fault_level", "reported_at", "id")


class IsStaffMember(BasePermission):
    """Staff-only lists that depend on no id (a customer gets 403 there, never elsewhere)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user: Any = request.user
        return bool(user and user.is_authenticated and user.is_staff_member)


@extend_schema_view(
    create=extend_schema(request=IncidentCreateSerializer, responses={201: IncidentDetailSerializer}),
    partial_update=extend_schema(request=IncidentUpdateSerializer, responses=IncidentDetailSerializer),
    transition=extend_schema(request=IncidentTransitionInputSerializer, responses=IncidentDetailSerializer),
    queue=extend_schema(responses=IncidentSerializer(many=True),
                        description="Dispatcher queue: new and unassigned incidents, most severe first, then oldest."),
    mine=extend_schema(responses=IncidentSerializer(many=True),
                       description="The requesting engineer's open incidents, most severe first, then oldest."),
)
class IncidentViewSet(mixins.ListModelMixin, TicketViewSet):
    """Incidents (INC-…), fault level I–IV. `allowed_actions` is on the detail and write responses."""

    queryset = Incident.objects.none()  # the schema's model; requests go through the selectors
    filterset_class = IncidentFilterSet
    ordering_fields = ("reported_at", "fault_level", "number", "updated_at", "id")
    list_serializer_class = IncidentSerializer
    detail_serializer_class = IncidentDetailSerializer
    create_serializer_class = IncidentCreateSerializer
    transition_serializer_class = IncidentTransitionInputSerializer

    def ticket_list(self) -> QuerySet[Any]:
        # Output carries ids only, so the list needs no joins.
        return incident_base(user=self.request.user)

    def ticket_get(self, pk: int) -> TicketBase:
        return incident_get(user=self.request.user, pk=pk)

    def ticket_transition(self, *, ticket: TicketBase, action: str, version: int | None,
                          payload: dict[str, Any]) -> TicketBase:
        return incident_transition(incident_id=ticket.pk, actor=self.request.user, action=action, version=version,
                                   payload=payload, now=self.now)

    def get_serializer_class(self) -> Any:
        if self.action == "partial_update":
            return IncidentUpdateSerializer
        return super().get_serializer_class()

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = IncidentCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        incident = incident_create(actor=request.user, now=self.now, **serializer.validated_data)
        return self.detail_response(incident, status_code=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incident = self.get_object()
        serializer = IncidentUpdateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        version = changes.pop("version", None)
        if not changes:
            raise ParseError(_("Send at least one field to change."))
        updated = incident_update(incident_id=incident.pk, actor=request.user, version=version, changes=changes,
                                  now=self.now)
        return self.detail_response(updated)

    def _work_list(self, queryset: QuerySet[Incident]) -> Response:
        return self.paged(self.filter_queryset(queryset), IncidentSerializer)

    @action(detail=False, methods=["get"], permission_classes=[IsAuthenticated, IsStaffMember],
            ordering=WORK_ORDER, ordering_fields=())
    def queue(self, request: Request) -> Response:
        return self._work_list(incident_dispatch_queue(user=request.user).select_related(None))

    @action(detail=False, methods=["get"], permission_classes=[IsAuthenticated, IsStaffMember],
            ordering=WORK_ORDER, ordering_fields=())
    def mine(self, request: Request) -> Response:
        return self._work_list(incident_my_work(user=request.user).select_related(None))
