"""Change endpoints (shared/API.md `changes/`): list/retrieve/create/partial update, one POST per
workflow action (`changes/{id}/submit/`, `approve/`, `reject/`, `schedule/`, `implement/`,
`review/`, `cancel/`, and the others of the table) besides the generic `transition/`, CAB votes,
customer approvals, conflicts, linked incidents, and the timeline from the ticket kernel."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db.models import DateTimeField, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ParseError
from rest_framework.request import Request
from rest_framework.response import Response

from opsdesk.api_errors import parse_id
from tickets.api.idempotency import IDEMPOTENCY_KEY_REUSED, idempotent_create
from tickets.api.views import TIMELINE_ACTION, TicketViewSet
from tickets.models import TicketBase

from ..choices import ApprovalChannel
from ..conflicts import change_conflicts
from ..filtersets import ChangeFilterSet
from ..models import CAB, Change, ChangeTemplate, FreezeWindow
from ..risk import QUESTIONS
from ..selectors import (
    cab_list,
    change_approvals,
    change_base,
    change_get,
    change_incident_links,
    change_votes,
    freeze_window_list,
    template_list,
)
from ..services import change_create, change_incident_link, change_transition, change_update
from ..workflow import CHANGE_WORKFLOW
from .serializers import (
    CABSerializer,
    CABVoteSerializer,
    ChangeActionInputSerializer,
    ChangeCreateSerializer,
    ChangeDetailSerializer,
    ChangeIncidentLinkInputSerializer,
    ChangeIncidentLinkSerializer,
    ChangeListItemSerializer,
    ChangeTemplateSerializer,
    ChangeTransitionInputSerializer,
    ChangeUpdateSerializer,
    ConflictSerializer,
    CustomerApprovalSerializer,
    FreezeWindowSerializer,
    RiskQuestionSerializer,
)

NO_LIST = {"filter_backends": [], "pagination_class": None}


def _action_endpoint(name: str) -> Any:
    transition = CHANGE_WORKFLOW.by_action[name]

    def endpoint(self: ChangeViewSet, request: Request, pk: str | None = None) -> Response:
        return self.run_action(request, name)

    endpoint.__name__ = name
    endpoint.__doc__ = str(transition.label)
    described = extend_schema(
        request=ChangeActionInputSerializer, responses=ChangeDetailSerializer, operation_id=f"changes_{name}",
        description=_("Workflow action “%(action)s” (allowed from: %(sources)s). 400 with `allowed_actions` when "
                      "not allowed now; 409 on a stale `version`.") % {
            "action": name, "sources": ", ".join(sorted(transition.sources))},
    )(endpoint)
    return action(detail=True, methods=["post"], url_path=name.replace("_", "-"), url_name=name.replace("_", "-"),
                  filter_backends=[])(described)


NO_PLANNED_START = datetime(9999, 12, 31, tzinfo=UTC)


@extend_schema_view(
    create=extend_schema(request=ChangeCreateSerializer, responses={201: ChangeDetailSerializer, 422: IDEMPOTENCY_KEY_REUSED}),
    partial_update=extend_schema(request=ChangeUpdateSerializer, responses=ChangeDetailSerializer),
    transition=extend_schema(request=ChangeTransitionInputSerializer, responses=ChangeDetailSerializer),
)
class ChangeViewSet(mixins.ListModelMixin, TicketViewSet):
    """Requests for change (CHG-…). `allowed_actions` is on the detail and write responses. Customers
    see their organisation's changes and answer `approve`/`reject` while the change awaits them."""

    queryset = Change.objects.none()
    filterset_class = ChangeFilterSet
    # `planned`: the planned start, changes without one last (keyset ordering needs a non-null column).
    ordering_fields = ("reported_at", "number", "updated_at", "planned", "id")
    list_serializer_class = ChangeListItemSerializer
    detail_serializer_class = ChangeDetailSerializer
    create_serializer_class = ChangeCreateSerializer
    transition_serializer_class = ChangeTransitionInputSerializer

    def ticket_list(self) -> Any:
        return change_base(user=self.request.user).prefetch_related("cis").annotate(
            planned=Coalesce("planned_start", Value(NO_PLANNED_START, output_field=DateTimeField())))

    def ticket_get(self, pk: int) -> TicketBase:
        return change_get(user=self.request.user, pk=pk)

    def ticket_transition(self, *, ticket: TicketBase, action: str, version: int | None,
                          payload: dict[str, Any]) -> TicketBase:
        return change_transition(change_id=ticket.pk, actor=self.request.user, action=action, version=version,
                                 payload=payload, now=self.now, channel=ApprovalChannel.API)

    def get_serializer_class(self) -> Any:
        if self.action == "partial_update":
            return ChangeUpdateSerializer
        return super().get_serializer_class()

    def run_action(self, request: Request, name: str) -> Response:
        change = self.get_object()
        serializer = ChangeActionInputSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        updated = self.ticket_transition(ticket=change, action=name, version=serializer.validated_data.get("version"),
                                         payload=serializer.payload())
        return self.detail_response(change_get(user=request.user, pk=updated.pk))

    def detail_response(self, ticket: TicketBase, *, status_code: int = status.HTTP_200_OK) -> Response:
        if not hasattr(ticket, "_prefetched_objects_cache") or "cis" not in ticket._prefetched_objects_cache:
            ticket = change_get(user=self.request.user, pk=ticket.pk)
        return super().detail_response(ticket, status_code=status_code)

    @idempotent_create
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = ChangeCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        change = change_create(actor=request.user, now=self.now, **data)
        return self.detail_response(change, status_code=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        change = self.get_object()
        serializer = ChangeUpdateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        version = changes.pop("version", None)
        if not changes:
            raise ParseError(_("Send at least one field to change."))
        updated = change_update(change_id=change.pk, actor=request.user, version=version, changes=changes,
                                now=self.now)
        return self.detail_response(updated)

    # One endpoint per workflow action (API.md names them: submit, approve, reject, schedule, …).
    submit = _action_endpoint("submit")
    assess = _action_endpoint("assess")
    request_approval = _action_endpoint("request_approval")
    approve = _action_endpoint("approve")
    reject = _action_endpoint("reject")
    schedule = _action_endpoint("schedule")
    implement = _action_endpoint("implement")
    complete = _action_endpoint("complete")
    fail = _action_endpoint("fail")
    back_out = _action_endpoint("back_out")
    review = _action_endpoint("review")
    close = _action_endpoint("close")
    rework = _action_endpoint("rework")
    cancel = _action_endpoint("cancel")

    @extend_schema(responses=CABVoteSerializer(many=True),
                   description="The CAB's votes, every round (internal: 404 for customers).")
    @action(detail=True, methods=["get"], filter_backends=[], ordering_fields=("created_at",),
            ordering=("round", "created_at", "id"))
    def votes(self, request: Request, pk: str | None = None) -> Response:
        change = self.get_object()
        return self.paged(change_votes(user=request.user, change=change), CABVoteSerializer)

    @extend_schema(responses=CustomerApprovalSerializer(many=True),
                   description="The requests to the customer to approve the change, and the answers.")
    @action(detail=True, methods=["get"], filter_backends=[], ordering_fields=("created_at",),
            ordering=("-created_at", "-id"))
    def approvals(self, request: Request, pk: str | None = None) -> Response:
        change = self.get_object()
        return self.paged(change_approvals(user=request.user, change=change), CustomerApprovalSerializer)

    @extend_schema(responses=ConflictSerializer(many=True),
                   description="Scheduling conflicts of the planned window: overlapping changes on the same CIs, "
                               "freeze windows, time outside the agreed maintenance windows (staff only).")
    @action(detail=True, methods=["get"], **NO_LIST)
    def conflicts(self, request: Request, pk: str | None = None) -> Response:
        change = self.get_object()
        if request.user.is_customer:  # type: ignore[union-attr]
            raise Http404
        if change.planned_start is None or change.planned_end is None:
            return Response([])
        found = change_conflicts(change=change, start=change.planned_start, end=change.planned_end)
        return Response([{"kind": c.kind, "message": c.message, "blocking": c.blocking,
                          "other_change": c.other.pk if isinstance(c.other, Change) else None} for c in found])

    @extend_schema(methods=["GET"], responses=ChangeIncidentLinkSerializer(many=True))
    @extend_schema(methods=["POST"], request=ChangeIncidentLinkInputSerializer,
                   responses={201: ChangeIncidentLinkSerializer},
                   description="Staff: link an incident the change caused.")
    @action(detail=True, methods=["get", "post"], **TIMELINE_ACTION)
    def incidents(self, request: Request, pk: str | None = None) -> Response:
        change = self.get_object()
        if request.method == "POST":
            serializer = ChangeIncidentLinkInputSerializer(data=request.data, context=self.get_serializer_context())
            serializer.is_valid(raise_exception=True)
            link = change_incident_link(change_id=change.pk, actor=request.user, now=self.now,
                                        **serializer.validated_data)
            return Response(ChangeIncidentLinkSerializer(link, context=self.get_serializer_context()).data,
                            status=status.HTTP_201_CREATED)
        return self.paged(change_incident_links(user=request.user, change=change), ChangeIncidentLinkSerializer)

    @extend_schema(responses=RiskQuestionSerializer(many=True),
                   description="The risk questionnaire: answer each question with one option's value.")
    @action(detail=False, methods=["get"], url_path="risk-questions", **NO_LIST)
    def risk_questions(self, request: Request) -> Response:
        return Response([{"key": q.key, "text": str(q.text), "options": [
            {"value": v, "label": str(label), "points": p} for v, label, p in q.options]} for q in QUESTIONS])


class _ReadOnly(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    filter_backends: list[Any] = []
    ordering = ("id",)

    def get_object(self) -> Any:
        found = self.get_queryset().filter(pk=parse_id(self.kwargs.get("pk"))).first()
        if found is None:
            raise Http404
        return found


class CABViewSet(_ReadOnly):
    """Change advisory boards (configured by admins)."""

    queryset = CAB.objects.none()
    serializer_class = CABSerializer

    def get_queryset(self) -> Any:
        return cab_list(user=self.request.user).prefetch_related("members")


class ChangeTemplateViewSet(_ReadOnly):
    """Pre-approved standard change templates (configured by admins)."""

    queryset = ChangeTemplate.objects.none()
    serializer_class = ChangeTemplateSerializer

    def get_queryset(self) -> Any:
        return template_list(user=self.request.user)


class FreezeWindowViewSet(_ReadOnly):
    """Freeze windows that apply to the caller (customers: global ones and their organisation's)."""

    queryset = FreezeWindow.objects.none()
    serializer_class = FreezeWindowSerializer
    ordering = ("start", "id")

    def get_queryset(self) -> Any:
        return freeze_window_list(user=self.request.user)
