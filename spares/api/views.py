"""Spare-parts store endpoints: parts (with `quantity` and `reorder_level`) and their movements,
storerooms, stock, the approval actions, loans from the store and replacement records. Reads go
through selectors, writes through services."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from incidents.models import SpareLoan
from opsdesk.api_errors import parse_id
from opsdesk.filters import query_bool

from ..choices import MovementKind, MovementStatus
from ..filtersets import MovementFilterSet, SparePartFilterSet, StockFilterSet
from ..models import Movement, Replacement, SparePart, Stock, Storeroom
from ..selectors import (
    loan_due_list,
    loan_list,
    month_param,
    movement_get,
    movement_list,
    replacement_flagged,
    replacement_get,
    replacement_list,
    spare_part_get,
    spare_part_list,
    stock_list,
    storeroom_get,
    storeroom_list,
)
from ..services import (
    movement_approve,
    movement_reject,
    movement_request,
    replacement_record,
    replacement_update,
    spare_loan_lend,
    spare_part_create,
    spare_part_update,
    storeroom_create,
)
from .serializers import (
    DecisionInputSerializer,
    FlaggedDeviceSerializer,
    LoanDueSerializer,
    MovementInputSerializer,
    MovementSerializer,
    ReplacementInputSerializer,
    ReplacementSerializer,
    ReplacementUpdateSerializer,
    SparePartInputSerializer,
    SparePartSerializer,
    SparePartUpdateSerializer,
    StockSerializer,
    StoreLoanInputSerializer,
    StoreLoanSerializer,
    StoreroomInputSerializer,
    StoreroomSerializer,
)

MOVEMENT_PAGING = {"filter_backends": [], "ordering": ("-requested_at", "-id"), "ordering_fields": ("requested_at",)}


def _schema(view: Any) -> bool:
    return bool(getattr(view, "swagger_fake_view", False))


@extend_schema_view(
    list=extend_schema(description="Spare parts with `quantity` (units in stock across the storerooms you may "
                                   "see) and `reorder_level`; `?below_reorder=true` is the reorder list."),
    create=extend_schema(request=SparePartInputSerializer, responses={201: SparePartSerializer}),
    partial_update=extend_schema(request=SparePartUpdateSerializer, responses=SparePartSerializer),
)
class SparePartViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """Spare-parts store (备品备件库). Customers see the parts held in their organisation's
    storerooms, with those storerooms' stock only."""

    serializer_class = SparePartSerializer
    filterset_class = SparePartFilterSet
    ordering = ("name", "id")
    ordering_fields = ("name", "part_number", "quantity")
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[SparePart]:
        if _schema(self):
            return SparePart.objects.none()
        return spare_part_list(user=self.request.user)

    def get_object(self) -> SparePart:
        return spare_part_get(user=self.request.user, pk=parse_id(self.kwargs.get("pk")))

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = SparePartInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        part = spare_part_create(actor=request.user, data=dict(data.validated_data), now=timezone.now())
        return Response(SparePartSerializer(spare_part_get(user=request.user, pk=part.pk)).data,
                        status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        part = self.get_object()
        data = SparePartUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        version = values.pop("version", None)
        spare_part_update(part_id=part.pk, actor=request.user, data=values, version=version)
        return Response(SparePartSerializer(spare_part_get(user=request.user, pk=part.pk)).data)

    @extend_schema(methods=["GET"], responses=MovementSerializer(many=True),
                   parameters=[OpenApiParameter("kind", str, enum=MovementKind.values),
                               OpenApiParameter("status", str, enum=MovementStatus.values),
                               OpenApiParameter("storeroom", int)],
                   description="The part's movement log, newest first.")
    @extend_schema(methods=["POST"], request=MovementInputSerializer, responses={201: MovementSerializer},
                   description="Staff: receive, issue (to an incident or change), return, write off or transfer. "
                               "Applied at once (status `done`), or `pending` where approval is configured. "
                               "Too few in stock: 400, nothing changes.")
    @action(detail=True, methods=["get", "post"], **MOVEMENT_PAGING)
    def movements(self, request: Request, pk: str | None = None) -> Response:
        part = self.get_object()
        if request.method == "POST":
            data = MovementInputSerializer(data=request.data, context=self.get_serializer_context())
            data.is_valid(raise_exception=True)
            movement = movement_request(part_id=part.pk, actor=request.user, now=timezone.now(),
                                        **data.validated_data)
            return Response(MovementSerializer(movement).data, status=status.HTTP_201_CREATED)
        wanted = QueryDict(mutable=True)
        for key, values in request.query_params.lists():
            if key in ("kind", "status", "storeroom"):
                wanted.setlist(key, values)
        queryset = movement_list(user=request.user, part=part, filters=wanted or None)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(MovementSerializer(page, many=True).data)


@extend_schema_view(create=extend_schema(request=StoreroomInputSerializer, responses={201: StoreroomSerializer}))
class StoreroomViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                       viewsets.GenericViewSet):  # type: ignore[type-arg]
    """Storerooms: on site at a customer organisation, or the provider's own (`organization` null)."""

    serializer_class = StoreroomSerializer
    filter_backends: list[Any] = []
    ordering = ("name", "id")
    ordering_fields = ("name",)

    def get_queryset(self) -> QuerySet[Storeroom]:
        if _schema(self):
            return Storeroom.objects.none()
        return storeroom_list(user=self.request.user)

    def get_object(self) -> Storeroom:
        return storeroom_get(user=self.request.user, pk=parse_id(self.kwargs.get("pk")))

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = StoreroomInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        room = storeroom_create(actor=request.user, **data.validated_data)
        return Response(StoreroomSerializer(room).data, status=status.HTTP_201_CREATED)


class StockViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """Stock per part and storeroom (read-only: stock changes only by movements)."""

    serializer_class = StockSerializer
    filterset_class = StockFilterSet
    ordering = ("part_id", "storeroom_id")

    def get_queryset(self) -> QuerySet[Stock]:
        if _schema(self):
            return Stock.objects.none()
        return stock_list(user=self.request.user)

    def get_object(self) -> Stock:
        found = self.get_queryset().filter(pk=parse_id(self.kwargs.get("pk"))).first()
        if found is None:
            raise NotFound
        return found


@extend_schema_view(
    list=extend_schema(description="Every movement you may see, newest first; `?status=pending` is the approval "
                                   "queue."),
    approve=extend_schema(request=DecisionInputSerializer, responses=MovementSerializer,
                          description="Approvers (manager, regional lead, supervisor; not the requester): the stock "
                                      "moves now. Too few left: 400 and it stays pending."),
    reject=extend_schema(request=DecisionInputSerializer, responses=MovementSerializer,
                         description="Approvers: reject with a reason (`note`); nothing moves."),
)
class MovementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """The stock ledger (append-only)."""

    serializer_class = MovementSerializer
    filterset_class = MovementFilterSet
    ordering = ("-requested_at", "-id")
    ordering_fields = ("requested_at",)

    def get_queryset(self) -> QuerySet[Movement]:
        if _schema(self):
            return Movement.objects.none()
        return movement_list(user=self.request.user)

    def get_object(self) -> Movement:
        return movement_get(user=self.request.user, pk=parse_id(self.kwargs.get("pk")))

    @action(detail=True, methods=["post"], filter_backends=[])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        movement = self.get_object()
        data = DecisionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        done = movement_approve(movement_id=movement.pk, actor=request.user, now=timezone.now(),
                                note=data.validated_data["note"])
        return Response(MovementSerializer(done).data)

    @action(detail=True, methods=["post"], filter_backends=[])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        movement = self.get_object()
        data = DecisionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        done = movement_reject(movement_id=movement.pk, actor=request.user, now=timezone.now(),
                               note=data.validated_data["note"])
        return Response(MovementSerializer(done).data)


@extend_schema_view(
    list=extend_schema(
        description="Spare-device loans (the records of `loans/`) with what the store knows: the part and storeroom "
                    "a lent unit came from, and `overdue` (past `due_back`). Open loans only unless `?open=false`; "
                    "`?overdue=true` for the overdue ones. Return a device with `POST loans/{id}/return/`: a unit "
                    "goes back to its storeroom, a standby CI back on standby.",
        parameters=[OpenApiParameter("open", bool), OpenApiParameter("overdue", bool)]),
    due=extend_schema(responses=LoanDueSerializer(many=True),
                      description="Faults not fixed in time with no standby device lent yet: open incidents past "
                                  "their restore target, with `restore_was_due` and `lend_by` (restore_was_due + 24 h)."),
    create=extend_schema(request=StoreLoanInputSerializer, responses={201: StoreLoanSerializer},
                         description="Staff: lend a standby CI (status standby → in use) or one unit of a part from "
                                     "a storeroom (issued at once, no approval) for an incident."),
)
class StoreLoanViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    serializer_class = StoreLoanSerializer
    filter_backends: list[Any] = []
    ordering = ("lent_at", "id")
    ordering_fields = ("lent_at",)

    def get_queryset(self) -> QuerySet[SpareLoan]:
        if _schema(self):
            return SpareLoan.objects.none()
        params = self.request.query_params
        qs = loan_list(user=self.request.user, now=timezone.now(),
                       open_only=bool(query_bool(params, "open", default=True)))
        if query_bool(params, "overdue"):
            qs = qs.filter(overdue=True)
        return qs

    @action(detail=False, methods=["get"], ordering=("id",), ordering_fields=("id",))
    def due(self, request: Request) -> Response:
        rows = loan_due_list(user=request.user, now=timezone.now()).order_by("id")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(LoanDueSerializer(page, many=True).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = StoreLoanInputSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        now = timezone.now()
        loan = spare_loan_lend(incident_id=values.pop("incident").pk, actor=request.user, now=now, **values)
        row = loan_list(user=request.user, now=now, open_only=False).get(pk=loan.pk)
        return Response(StoreLoanSerializer(row).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    create=extend_schema(request=ReplacementInputSerializer, responses={201: ReplacementSerializer}),
    partial_update=extend_schema(request=ReplacementUpdateSerializer, responses=ReplacementSerializer),
    flagged=extend_schema(
        responses=inline_serializer(name="FlaggedDevices", fields={
            "next": serializers.CharField(allow_null=True), "previous": serializers.CharField(allow_null=True),
            "results": FlaggedDeviceSerializer(many=True)}),
        parameters=[OpenApiParameter("month", str, description="YYYY-MM; omitted: every month")],
        description="Devices with 3 or more faults in one calendar month, with the decision recorded (if any)."),
)
class ReplacementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """Replacement records of devices flagged for 3 or more faults in a month (staff only)."""

    serializer_class = ReplacementSerializer
    filter_backends: list[Any] = []
    ordering = ("-month", "-id")
    ordering_fields = ("month", "decided_at")
    http_method_names = ["get", "post", "patch", "head", "options"]

    def _staff(self) -> None:
        if not getattr(self.request.user, "is_staff_member", False):
            raise NotFound

    def get_queryset(self) -> QuerySet[Replacement]:
        if _schema(self):
            return Replacement.objects.none()
        self._staff()
        return replacement_list(user=self.request.user)

    def get_object(self) -> Replacement:
        self._staff()
        return replacement_get(user=self.request.user, pk=parse_id(self.kwargs.get("pk")))

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self._staff()
        data = ReplacementInputSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        record = replacement_record(actor=request.user, now=timezone.now(), faults=0, **data.validated_data)
        return Response(ReplacementSerializer(record).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        record = self.get_object()
        data = ReplacementUpdateSerializer(data=request.data, partial=True, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        version = values.pop("version", None)
        updated = replacement_update(replacement_id=record.pk, actor=request.user, now=timezone.now(),
                                     version=version, data=values)
        return Response(ReplacementSerializer(updated).data)

    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def flagged(self, request: Request) -> Response:
        self._staff()
        month = month_param(request.query_params.get("month", ""))
        rows = replacement_flagged(user=request.user, month=month)
        return Response({"next": None, "previous": None, "results": FlaggedDeviceSerializer(rows, many=True).data})
