"""Inspections API: rounds (list, detail with CIs, checklist and current answers), the answer
endpoint the phone posts to (JSON, or multipart with a photo; idempotent by the answer's UUID:
201 the first time, 200 with the same answer after), and completion / findings per plan,
organisation and month. Staff only (customers: 404)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from opsdesk import serializers

from ..selectors import inspection_stats, round_get, round_list
from ..services import answer_record
from ..views import round_payload
from ..workflow import ROUND_WORK


def _staff(request: Request) -> None:
    user: Any = request.user
    if not user.is_authenticated or not user.is_staff_member:
        raise Http404


class RoundSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
    organization = serializers.IntegerField(source="organization_id")
    group = serializers.IntegerField(source="group_id", allow_null=True)
    assignee = serializers.IntegerField(source="assignee_id", allow_null=True)
    plan = serializers.IntegerField(source="plan_id")
    scheduled_for = serializers.DateField()
    due_at = serializers.DateTimeField()
    escalated_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)


class AnswerInputSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    ci = serializers.IntegerField(min_value=1)
    item = serializers.IntegerField(min_value=1)
    passed = serializers.BooleanField(required=False, allow_null=True, default=None)
    reading = serializers.CharField(required=False, allow_blank=True, max_length=40)
    choice = serializers.CharField(required=False, allow_blank=True, max_length=60)
    text = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    note = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    answered_at = serializers.CharField(required=False, allow_blank=True, max_length=40)
    photo = serializers.FileField(required=False, allow_null=True)


class AnswerSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    round = serializers.IntegerField(source="round_id")
    ci = serializers.IntegerField(source="target.ci_id")
    item = serializers.IntegerField(source="item_id")
    finding = serializers.BooleanField()
    out_of_limits = serializers.BooleanField()
    incident = serializers.IntegerField(source="incident_id", allow_null=True)
    incident_number = serializers.SerializerMethodField()
    received_at = serializers.DateTimeField()

    def get_incident_number(self, obj: Any) -> str:
        return obj.incident.number if obj.incident_id else ""


class RoundListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=RoundSerializer(many=True), parameters=[
        OpenApiParameter("status", str, required=False)], description="Rounds, by due date (staff).")
    def get(self, request: Request) -> Response:
        _staff(request)
        rows = round_list(user=request.user).order_by("due_at", "id")
        wanted = request.query_params.get("status", "")
        if wanted:
            rows = rows.filter(status=wanted)
        return Response(RoundSerializer(rows[:500], many=True).data)


class RoundDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=dict, description="A round with its CIs, checklist and current answers.")
    def get(self, request: Request, pk: int) -> Response:
        _staff(request)
        return Response(round_payload(round_get(user=request.user, pk=pk)))


class AnswerCreateView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(request=AnswerInputSerializer, responses={201: AnswerSerializer, 200: AnswerSerializer},
                   description="Record one answer (JSON, or multipart with `photo`). The client generates "
                               "`uuid`; sending the same uuid again returns the stored answer with 200.")
    def post(self, request: Request, pk: int) -> Response:
        _staff(request)
        ticket = round_get(user=request.user, pk=pk)
        user: Any = request.user
        if not (user.is_superuser or user.role in ROUND_WORK):
            raise PermissionDenied(_("Only engineers, leads, supervisors, dispatchers, analysts and managers "
                                     "record inspection answers."))
        form = AnswerInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        photo = data.pop("photo", None)
        try:
            answered = parse_datetime(data.get("answered_at") or "")
        except ValueError:
            answered = None
        data["answered_at"] = answered if answered is not None and answered.tzinfo is not None else None
        try:
            answer, created = answer_record(round_id=ticket.pk, actor=request.user, data=data, photo=photo,
                                            now=timezone.now())
        except ValidationError as exc:
            return Response(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages},
                            status=status.HTTP_400_BAD_REQUEST)
        except DjangoPermissionDenied:
            raise PermissionDenied(_("Only engineers, leads, supervisors, dispatchers, analysts and managers "
                                     "record inspection answers.")) from None
        return Response(AnswerSerializer(answer).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class StatsRowSerializer(serializers.Serializer):
    """One plan × organisation × month of the completion and findings figures."""

    month = serializers.CharField(help_text="YYYY-MM")
    plan_id = serializers.IntegerField()
    plan__name = serializers.CharField()
    organization_id = serializers.IntegerField()
    organization__name = serializers.CharField()
    rounds = serializers.IntegerField()
    done = serializers.IntegerField()
    overdue = serializers.IntegerField()
    cancelled = serializers.IntegerField()
    findings = serializers.IntegerField()
    completion = serializers.IntegerField(help_text="done / rounds, per cent")


class StatsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=StatsRowSerializer(many=True), parameters=[OpenApiParameter("start", str), OpenApiParameter("end", str)],
                   description="Completion and findings per plan, organisation and month (rounds scheduled "
                               "from `start` to `end`, ISO dates; default: this year).")
    def get(self, request: Request) -> Response:
        _staff(request)
        today = timezone.localdate()
        try:
            start = date.fromisoformat(request.query_params.get("start") or f"{today.year}-01-01")
            end = date.fromisoformat(request.query_params.get("end") or f"{today.year}-12-31")
        except ValueError:
            return Response({"start": [_("Use a date like 2026-01-31.")]}, status=status.HTTP_400_BAD_REQUEST)
        if end < start or (end - start).days > 3700:
            return Response({"end": [_("The range must run forwards and stay within ten years.")]},
                            status=status.HTTP_400_BAD_REQUEST)
        return Response(inspection_stats(user=request.user, start=start, end=end))
