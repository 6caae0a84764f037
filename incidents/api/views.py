"""Incident endpoints: list/retrieve/create/partial update, transitions and the timeline (from the
ticket kernel), the dispatcher queue and an engineer's open work."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ParseError
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from opsdesk.api_errors import parse_id
from opsdesk.filters import query_bool
from opsdesk.pagination import KeysetPagination, Reuse
from tickets.api.idempotency import IDEMPOTENCY_KEY_REUSED, idempotent_create
from tickets.api.views import TIMELINE_ACTION, TicketViewSet
from tickets.models import TicketBase, TicketQuerySet

from ..filtersets import IncidentApiFilterSet
from ..followups import (
    fault_report_save,
    fault_report_submit,
    progress_update_add,
    spare_loan_create,
    spare_loan_return,
)
from ..models import Incident, SpareLoan
from ..selectors import (
    QUEUE_ORDER,
    WORK_ORDER,
    fault_report_get,
    incident_base,
    incident_detail_get,
    incident_dispatch_queue,
    incident_get,
    incident_my_work,
    progress_update_list,
    spare_loan_get,
    spare_loan_list,
)
from ..services import incident_create, incident_transition, incident_update
from .listjson import incident_list_json_page
from .serializers import (
    LIST_OMITTED_FIELDS,
    FaultReportInputSerializer,
    FaultReportSerializer,
    FaultReportSubmitSerializer,
    IncidentCreateSerializer,
    IncidentDetailSerializer,
    IncidentListItemSerializer,
    IncidentTransitionInputSerializer,
    IncidentUpdateSerializer,
    ProgressUpdateInputSerializer,
    ProgressUpdateSerializer,
    SpareLoanInputSerializer,
    SpareLoanSerializer,
    incident_list_rows,
)

LOAN_LIST = {"filter_backends": [], "ordering_fields": ("lent_at",), "ordering": ("lent_at", "id")}


class IsStaffMember(BasePermission):
    """Staff-only lists that depend on no id (a customer gets 403 there, never elsewhere)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user: Any = request.user
        return bool(user and user.is_authenticated and user.is_staff_member)


@extend_schema_view(
    create=extend_schema(request=IncidentCreateSerializer, responses={201: IncidentDetailSerializer, 422: IDEMPOTENCY_KEY_REUSED}),
    partial_update=extend_schema(request=IncidentUpdateSerializer, responses=IncidentDetailSerializer),
    transition=extend_schema(request=IncidentTransitionInputSerializer, responses=IncidentDetailSerializer),
    queue=extend_schema(responses=IncidentListItemSerializer(many=True),
                        description="Dispatcher queue: new and unassigned incidents by the nearest SLA deadline "
                                    "(none last), then most severe, then oldest."),
    mine=extend_schema(responses=IncidentListItemSerializer(many=True),
                       description="The requesting engineer's open incidents by the nearest SLA deadline (none last), "
                                   "then most severe, then oldest."),
)
class IncidentViewSet(mixins.ListModelMixin, TicketViewSet):
    """Incidents (INC-…), fault level I–IV. `allowed_actions` is on the detail and write responses."""

    queryset = Incident.objects.none()  # the schema's model; requests go through the selectors
    http_method_names = ["get", "post", "patch", "put", "head", "options"]  # PUT: the fault report only
    filterset_class = IncidentApiFilterSet
    ordering_fields = ("reported_at", "fault_level", "number", "updated_at", "id")
    list_serializer_class = IncidentListItemSerializer
    detail_serializer_class = IncidentDetailSerializer
    create_serializer_class = IncidentCreateSerializer
    transition_serializer_class = IncidentTransitionInputSerializer

    def ticket_list(self) -> QuerySet[Any]:
        # Output carries ids only, so the list needs no joins; nor the long text a list row leaves out.
        return incident_base(user=self.request.user).defer(*LIST_OMITTED_FIELDS)

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

    @idempotent_create
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

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """The filter backend builds a FilterSet, its form and a deep copy of every filter for each
        request: with only the filters the query string names (IncidentApiFilterSet.for_params; a
        present but empty parameter still goes through, and is refused there), and none at all when
        it names none."""
        narrowed = IncidentApiFilterSet.for_params(self.request.query_params)
        if narrowed is None:
            return queryset
        self.filterset_class = narrowed
        return super().filter_queryset(queryset)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        params = request.query_params
        names = set(params) - {KeysetPagination.page_size_query_param}
        if names <= IncidentApiFilterSet.STATIC_FILTERS:
            # The statement depends on the reader's visibility, the filters' values and the time zone
            # (a month is local): compiled once per such shape, the values written in, so that its
            # prepared plan is made for them.
            shape = (TicketQuerySet.visibility_key(request.user), timezone.get_current_timezone_name(),
                     tuple(sorted((name, tuple(params.getlist(name))) for name in names)))
            return self._work_list(None, build=lambda _key: self.get_queryset(), shape=shape,
                                   params=frozenset(names))
        return self._work_list(self.get_queryset())

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incident = incident_detail_get(user=request.user, pk=parse_id(kwargs.get("pk")))
        self.check_object_permissions(request, incident)
        return self.detail_response(incident)

    def _work_list(self, queryset: QuerySet[Incident] | None, *, build: Callable[[int | None], QuerySet[Incident]] | None = None,
                   shape: Hashable = None, key: int | None = None,
                   params: frozenset[str] = frozenset()) -> Response:
        """A page of named rows, not model instances (issue 19): on PostgreSQL the database writes
        each row's JSON (incidents/api/listjson.py); elsewhere the list serializer reads the rows.
        With `build` (queryset None) the list is `build(key)`, and its first page is read by a
        statement compiled once per `shape` (everything its SQL depends on but `key`)."""
        reuse: Reuse | None = None
        rows: QuerySet[Any] | None = None
        if build is not None:
            def rows_of(k: int | None) -> QuerySet[Any]:
                return incident_list_rows(self.filter_queryset(build(k)))  # type: ignore[no-any-return]
            reuse = Reuse(model=Incident, shape=(self.action, shape), build=rows_of, key=key, params=params)
        else:
            assert queryset is not None
            rows = incident_list_rows(self.filter_queryset(queryset))
        page = incident_list_json_page(rows, serializer_class=IncidentListItemSerializer, paginator=self.paginator,
                                       request=self.request, view=self, context=self.get_serializer_context(),
                                       reuse=reuse)
        if page is not None:
            return page
        return self.paged(rows if reuse is None else reuse.build(key), IncidentListItemSerializer)

    @action(detail=False, methods=["get"], permission_classes=[IsAuthenticated, IsStaffMember],
            ordering=QUEUE_ORDER, ordering_fields=())
    def queue(self, request: Request) -> Response:
        user = request.user
        return self._work_list(None, build=lambda _key: incident_dispatch_queue(user=user).select_related(None)
                               .defer(*LIST_OMITTED_FIELDS),
                               shape=TicketQuerySet.visibility_key(user))

    @action(detail=False, methods=["get"], permission_classes=[IsAuthenticated, IsStaffMember],
            ordering=WORK_ORDER, ordering_fields=())
    def mine(self, request: Request) -> Response:
        user = request.user
        return self._work_list(None, build=lambda assignee_id: incident_my_work(user=user, assignee_id=assignee_id)
                               .select_related(None).defer(*LIST_OMITTED_FIELDS),
                               shape=TicketQuerySet.visibility_key(user), key=user.pk)

    # --- SLA follow-ups -------------------------------------------------------------------------

    @extend_schema(methods=["GET"], responses=ProgressUpdateSerializer(many=True),
                   description="Progress updates (public: the customer sees them), oldest first.")
    @extend_schema(methods=["POST"], request=ProgressUpdateInputSerializer, responses={201: ProgressUpdateSerializer},
                   description="Staff: report progress while service is not yet restored; restarts the progress clock.")
    @action(detail=True, methods=["get", "post"], **TIMELINE_ACTION)
    def progress(self, request: Request, pk: str | None = None) -> Response:
        incident = self.get_object()
        if request.method == "POST":
            serializer = ProgressUpdateInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            update = progress_update_add(incident_id=incident.pk, author=request.user,
                                         body=serializer.validated_data["body"], now=self.now)
            return Response(ProgressUpdateSerializer(update, context=self.get_serializer_context()).data,
                            status=status.HTTP_201_CREATED)
        return self.paged(progress_update_list(user=request.user, incident=incident), ProgressUpdateSerializer)

    @extend_schema(methods=["GET"], responses=FaultReportSerializer,
                   description="The fault-handling analysis report; customers see it once submitted (else 404).")
    @extend_schema(methods=["PUT"], request=FaultReportInputSerializer, responses=FaultReportSerializer,
                   description="Staff: save the draft. Send `version` as read; a stale one gets 409.")
    @action(detail=True, methods=["get", "put"], url_path="fault-report", filter_backends=[])
    def fault_report(self, request: Request, pk: str | None = None) -> Response:
        incident = self.get_object()
        if request.method == "PUT":
            serializer = FaultReportInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = dict(serializer.validated_data)
            version = data.pop("version", None)
            report = fault_report_save(incident_id=incident.pk, author=request.user, data=data, version=version,
                                       now=self.now)
            return Response(FaultReportSerializer(report, context=self.get_serializer_context()).data)
        report = fault_report_get(user=request.user, incident=incident)
        if report is None:
            raise NotFound(_("No fault report has been written for this incident yet."))
        return Response(FaultReportSerializer(report, context=self.get_serializer_context()).data)

    @extend_schema(request=FaultReportSubmitSerializer, responses=FaultReportSerializer,
                   description="Staff: submit the report (after resolution, every section written); meets its clock.")
    @action(detail=True, methods=["post"], url_path="fault-report/submit", filter_backends=[])
    def fault_report_submit(self, request: Request, pk: str | None = None) -> Response:
        incident = self.get_object()
        serializer = FaultReportSubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report = fault_report_submit(incident_id=incident.pk, author=request.user, now=self.now,
                                     version=serializer.validated_data.get("version"))
        return Response(FaultReportSerializer(report, context=self.get_serializer_context()).data)

    @extend_schema(methods=["GET"], responses=SpareLoanSerializer(many=True))
    @extend_schema(methods=["POST"], request=SpareLoanInputSerializer, responses={201: SpareLoanSerializer},
                   description="Staff: record a standby device lent while the faulty one is repaired.")
    @action(detail=True, methods=["get", "post"], **LOAN_LIST)
    def loans(self, request: Request, pk: str | None = None) -> Response:
        incident = self.get_object()
        if request.method == "POST":
            serializer = SpareLoanInputSerializer(data=request.data, context=self.get_serializer_context())
            serializer.is_valid(raise_exception=True)
            loan = spare_loan_create(incident_id=incident.pk, actor=request.user, now=self.now,
                                     **serializer.validated_data)
            return Response(SpareLoanSerializer(loan, context=self.get_serializer_context()).data,
                            status=status.HTTP_201_CREATED)
        return self.paged(spare_loan_list(user=request.user, incident=incident), SpareLoanSerializer)


@extend_schema_view(
    list=extend_schema(description="Spare-device loans of visible incidents, longest out first; "
                                   "`?open=true` lists those not yet returned."),
    return_device=extend_schema(request=None, responses=SpareLoanSerializer,
                                description="Staff: the standby device came back; the loan is closed."),
)
class SpareLoanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """Spare-device loans (R-INC: a standby device lent within 24 h when a fault is not fixed in time)."""

    queryset = SpareLoan.objects.none()
    serializer_class = SpareLoanSerializer
    filter_backends: list[Any] = []
    ordering = ("lent_at", "id")
    ordering_fields = ("lent_at",)

    def get_queryset(self) -> QuerySet[SpareLoan]:
        open_only = bool(query_bool(self.request.query_params, "open"))
        return spare_loan_list(user=self.request.user, open_only=open_only)

    def get_object(self) -> SpareLoan:
        return spare_loan_get(user=self.request.user, pk=parse_id(self.kwargs.get("pk")))

    @action(detail=True, methods=["post"], url_path="return")
    def return_device(self, request: Request, pk: str | None = None) -> Response:
        loan = self.get_object()
        updated = spare_loan_return(loan_id=loan.pk, actor=request.user, now=timezone.now())
        return Response(SpareLoanSerializer(updated, context=self.get_serializer_context()).data)
