"""Problem endpoints: list/retrieve/create/partial update, transitions, link/unlink incidents and the
timeline (from the ticket kernel); the known-error base search.

Tenancy: staff see every problem; customers may read their own organisation's problems and known
errors (public history only) and write nothing (403 on their own organisation's problems, 404 on
anything else)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ParseError, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from incidents.models import Incident
from tickets.api.idempotency import IDEMPOTENCY_KEY_REUSED, idempotent_create
from tickets.api.views import TicketViewSet
from tickets.models import TicketBase

from ..filtersets import ProblemFilterSet
from ..models import Problem, ProblemIncident
from ..selectors import known_error_search, problem_base, problem_get
from ..services import (
    problem_create,
    problem_link_incidents,
    problem_transition,
    problem_unlink_incident,
    problem_update,
)
from .serializers import (
    KnownErrorQuerySerializer,
    KnownErrorSerializer,
    ProblemCreateSerializer,
    ProblemDetailSerializer,
    ProblemLinkInputSerializer,
    ProblemSerializer,
    ProblemTransitionInputSerializer,
    ProblemUnlinkInputSerializer,
    ProblemUpdateSerializer,
)


class CustomerReadOnly(permissions.BasePermission):
    """Customers read their organisation's problems; any write to one is refused (403). The object
    is looked up first, so another organisation's problem stays a 404."""

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        user: Any = request.user
        return request.method in permissions.SAFE_METHODS or not user.is_customer


def active_links() -> Prefetch:
    return Prefetch("links", queryset=ProblemIncident.objects.filter(unlinked_at__isnull=True).only(
        "id", "problem_id", "incident_id"), to_attr="active_links")


@extend_schema_view(
    list=extend_schema(description="Problems and known errors, newest first. `?q=` searches number, title, "
                                   "description, root cause and workaround (Chinese included: every word must "
                                   "occur); `?known_error=true&q=` searches the known-error base in this order."),
    create=extend_schema(request=ProblemCreateSerializer, responses={201: ProblemDetailSerializer, 422: IDEMPOTENCY_KEY_REUSED},
                         description="Staff: open a problem, directly or from incidents (`incidents`: ids of the "
                                     "same organisation; the organisation may then be omitted)."),
    partial_update=extend_schema(request=ProblemUpdateSerializer, responses=ProblemDetailSerializer,
                                 description="Staff: edit title, description, priority, CI, cause, root cause, "
                                             "workaround, assignee, group. Send `version`; a stale one gets 409."),
    transition=extend_schema(request=ProblemTransitionInputSerializer, responses=ProblemDetailSerializer,
                             description="Actions: investigate, known_error (root_cause + workaround), resolve "
                                         "(resolution), fix (change_number), close, reopen (reason), cancel "
                                         "(reason). 400 names the allowed actions."),
)
class ProblemViewSet(mixins.ListModelMixin, TicketViewSet):
    """Problems (PRB-…) and known errors (KE-…). `allowed_actions` is on the detail and write responses."""

    queryset = Problem.objects.none()  # the schema's model; requests go through the selectors
    filterset_class = ProblemFilterSet
    ordering_fields = ("reported_at", "number", "updated_at", "id")
    list_serializer_class = ProblemSerializer
    detail_serializer_class = ProblemDetailSerializer
    create_serializer_class = ProblemCreateSerializer
    transition_serializer_class = ProblemTransitionInputSerializer

    def get_permissions(self) -> list[Any]:
        return [*super().get_permissions(), CustomerReadOnly()]

    def ticket_list(self) -> QuerySet[Any]:
        return problem_base(user=self.request.user).defer("search_vector").prefetch_related(active_links())

    def ticket_get(self, pk: int) -> TicketBase:
        return problem_get(user=self.request.user, pk=pk)

    def ticket_transition(self, *, ticket: TicketBase, action: str, version: int | None,
                          payload: dict[str, Any]) -> TicketBase:
        return problem_transition(problem_id=ticket.pk, actor=self.request.user, action=action, version=version,
                                  payload=payload, now=self.now)

    def get_serializer_class(self) -> Any:
        if self.action == "partial_update":
            return ProblemUpdateSerializer
        if self.action == "link":
            return ProblemLinkInputSerializer
        if self.action == "unlink":
            return ProblemUnlinkInputSerializer
        return super().get_serializer_class()

    @idempotent_create
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if getattr(request.user, "is_customer", False):
            raise PermissionDenied
        serializer = ProblemCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        incident_ids = data.pop("incidents", [])
        organization = data.pop("organization", None)
        if organization is None and incident_ids:
            first = Incident.objects.visible_to(request.user).filter(pk__in=incident_ids).order_by("pk").first()
            organization = first.organization if first is not None else None
        if organization is None:
            from rest_framework.exceptions import ValidationError  # noqa: PLC0415

            raise ValidationError({"organization": [_("Choose the customer organisation.")]})
        problem = problem_create(actor=request.user, organization=organization, incident_ids=incident_ids,
                                 now=self.now, **data)
        return self.detail_response(problem, status_code=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        problem = self.get_object()
        serializer = ProblemUpdateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        version = changes.pop("version", None)
        if not changes:
            raise ParseError(_("Send at least one field to change."))
        updated = problem_update(problem_id=problem.pk, actor=request.user, version=version, changes=changes,
                                 now=self.now)
        return self.detail_response(updated)

    @extend_schema(request=ProblemLinkInputSerializer, responses=ProblemDetailSerializer,
                   description="Staff: link more incidents (same organisation; already linked ones are skipped).")
    @action(detail=True, methods=["post"], filter_backends=[])
    def link(self, request: Request, pk: str | None = None) -> Response:
        problem = self.get_object()
        serializer = ProblemLinkInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        updated = problem_link_incidents(problem_id=problem.pk, actor=request.user,
                                         incident_ids=serializer.validated_data["incidents"],
                                         version=serializer.validated_data.get("version"), now=self.now)
        return self.detail_response(updated)

    @extend_schema(request=ProblemUnlinkInputSerializer, responses=ProblemDetailSerializer,
                   description="Staff: unlink one incident (the link is kept in the history).")
    @action(detail=True, methods=["post"], filter_backends=[])
    def unlink(self, request: Request, pk: str | None = None) -> Response:
        problem = self.get_object()
        serializer = ProblemUnlinkInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        updated = problem_unlink_incident(problem_id=problem.pk, actor=request.user,
                                          incident_id=serializer.validated_data["incident"],
                                          version=serializer.validated_data.get("version"), now=self.now)
        return self.detail_response(updated)


@extend_schema_view(list=extend_schema(
    parameters=[OpenApiParameter("q", str, description="Words (Chinese included) that must all occur, or a KE-/PRB- "
                                                         "number; results best match first."),
                OpenApiParameter("ci", int, description="Known errors recorded on this CI."),
                OpenApiParameter("organization", int, description="Known errors of this organisation.")],
    description="The known-error base: problems marked known error (fixed ones included, `fixed=true`), with "
                "their workaround. Best match first with `q`, else newest first."))
class KnownErrorViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """Known errors (KE-…): search by words and/or CI."""

    queryset = Problem.objects.none()
    serializer_class = KnownErrorSerializer
    filter_backends: list[Any] = []
    ordering = None  # the queryset's order: by rank with q, else newest
    ordering_fields: tuple[str, ...] = ()

    def get_queryset(self) -> QuerySet[Problem]:
        query = KnownErrorQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        qs = known_error_search(user=self.request.user, q=data.get("q", ""), ci_id=data.get("ci"),
                                organization_id=data.get("organization")).defer("search_vector")
        if "search_rank" in qs.query.annotations:
            return qs.order_by("-search_rank", "-id")
        return qs.order_by("-reported_at", "-id")
