"""Quality API: ratings (read), call-backs (queue, record), satisfaction figures and yearly
questionnaire statistics. Reads through selectors, writes through services."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from opsdesk.api_errors import parse_id
from opsdesk.filters import query_bool

from ..models import Callback, SatisfactionRating
from ..selectors import (
    FIGURE_GROUPS,
    callback_list,
    callback_queue,
    is_quality_staff,
    rating_list,
    satisfaction_figures,
    survey_yearly_stats,
)
from ..services import callback_record
from .serializers import (
    CallbackInputSerializer,
    CallbackQueueSerializer,
    CallbackSerializer,
    FigureRowSerializer,
    FiguresQuerySerializer,
    RatingSerializer,
    SurveyStatsRowSerializer,
)

MAX_FIGURE_ROWS = 5000


def _quality_staff(request: Request) -> None:
    if not is_quality_staff(request.user):
        raise NotFound


class RatingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """Satisfaction ratings on closure: staff see all, customers their organisation's."""

    serializer_class = RatingSerializer
    ordering = ("-created_at", "-id")
    ordering_fields = ("created_at", "stars", "id")
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[SatisfactionRating]:
        return rating_list(user=self.request.user)

    def get_object(self) -> SatisfactionRating:
        pk = parse_id(self.kwargs.get("pk"))
        found = self.get_queryset().filter(pk=pk).first()
        if found is None:
            raise NotFound
        return found


class CallbackViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """Call-backs (回访) of closed incidents: `queue/` lists what to call, POST records a call."""

    serializer_class = CallbackSerializer
    ordering = ("-called_at", "-id")
    ordering_fields = ("called_at", "id")
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Callback]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return Callback.objects.none()
        _quality_staff(self.request)
        qs = callback_list(user=self.request.user)
        follow_up = query_bool(self.request.query_params, "follow_up")
        if follow_up is not None:
            qs = qs.filter(follow_up=follow_up)
        return qs

    def get_object(self) -> Callback:
        pk = parse_id(self.kwargs.get("pk"))
        found = self.get_queryset().filter(pk=pk).first()
        if found is None:
            raise NotFound
        return found

    @extend_schema(responses=CallbackQueueSerializer(many=True))
    @action(detail=False, methods=["get"], ordering=("-id",), ordering_fields=("id",))
    def queue(self, request: Request) -> Response:
        _quality_staff(request)
        page = self.paginate_queryset(callback_queue(user=request.user))
        return self.get_paginated_response(CallbackQueueSerializer(page, many=True).data)

    @extend_schema(request=CallbackInputSerializer, responses={201: CallbackSerializer})
    def create(self, request: Request) -> Response:
        _quality_staff(request)
        data = CallbackInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        callback = callback_record(incident_id=v["incident"], actor=request.user, outcome=v["outcome"],
                                   satisfaction=v.get("satisfaction"), notes=v.get("notes", ""),
                                   follow_up=v.get("follow_up", False), now=timezone.now())
        return Response(CallbackSerializer(callback).data, status=status.HTTP_201_CREATED)


class FiguresView(APIView):
    """Satisfaction per organisation, engineer and month (GROUP BY in SQL)."""

    @extend_schema(parameters=[FiguresQuerySerializer], responses=inline_serializer(
        name="SatisfactionFigures", fields={"next": serializers.CharField(allow_null=True),
                                            "previous": serializers.CharField(allow_null=True),
                                            "results": FigureRowSerializer(many=True)}))
    def get(self, request: Request) -> Response:
        _quality_staff(request)
        query = FiguresQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        groups = tuple(g.strip() for g in str(q["group_by"]).split(",") if g.strip())
        rows = satisfaction_figures(user=request.user, source=q["source"], group_by=groups or FIGURE_GROUPS,
                                    date_from=q.get("date_from"), date_to=q.get("date_to"),
                                    organization_id=q.get("organization"))
        data = [{**row, "average": round(float(row["average"]), 2)} for row in rows[:MAX_FIGURE_ROWS]]
        return Response({"next": None, "previous": None, "results": data})


class SurveyStatsView(APIView):
    """Questionnaire statistics of one year, per organisation (averages of the rating questions)."""

    @extend_schema(parameters=[OpenApiParameter("year", {"type": "integer", "minimum": 2000, "maximum": 2100},
                                                required=True)], responses=inline_serializer(
        name="QuestionnaireYearStats", fields={"next": serializers.CharField(allow_null=True),
                                               "previous": serializers.CharField(allow_null=True),
                                               "results": SurveyStatsRowSerializer(many=True)}))
    def get(self, request: Request) -> Response:
        _quality_staff(request)
        raw = request.query_params.get("year", "")
        if not (raw.isascii() and raw.isdigit() and 2000 <= int(raw) <= 2100):
            return Response({"year": [_("Enter a year such as %(year)s.") % {"year": timezone.localdate().year}]},
                            status=status.HTTP_400_BAD_REQUEST)
        rows = SurveyStatsRowSerializer(survey_yearly_stats(user=request.user, year=int(raw)), many=True).data
        return Response({"next": None, "previous": None, "results": rows})
