"""Team API: leave requests (list; create one's own with its hand-over plan, submitted at once or
kept as a draft; withdraw; decide the pending approval step — the kernel's approval, the same one
the pages and the portal use) and the monthly KPI scorecards (an engineer sees their own published
ones, KPI managers all; adjust a score with a reason; publish a month). Customers see their
organisation's leave requests and decide the steps they are asked; scorecards do not exist for them."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Organization, User
from incidents.models import Incident
from opsdesk import serializers
from tickets.approvals import approval_decide
from tickets.choices import ApprovalVia

from ..choices import DIMENSIONS, LeaveStatus, LeaveType, ScorecardStatus
from ..filtersets import LeaveFilterSet, ScorecardFilterSet
from ..kpi import month_start, scorecard_adjust, scorecards_publish
from ..models import LeaveRequest, Scorecard
from ..selectors import leave_get, leave_list, leave_pending_approvals, scorecard_get, scorecards_visible
from ..services import leave_create, leave_transition

STAFF_USERS = User.objects.filter(is_active=True)


class LeaveSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    status = serializers.ChoiceField(choices=LeaveStatus.choices)
    leave_type = serializers.ChoiceField(choices=LeaveType.choices)
    engineer = serializers.IntegerField(source="engineer_id")
    engineer_name = serializers.CharField(source="engineer.display_name")
    organization = serializers.IntegerField(source="organization_id")
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    stand_in = serializers.IntegerField(source="stand_in_id")
    reason = serializers.CharField(source="description")
    submitted_at = serializers.DateTimeField(allow_null=True)
    approved_at = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField()
    pending_approval = serializers.SerializerMethodField()
    approval_due_at = serializers.SerializerMethodField()

    def _pending(self, obj: LeaveRequest) -> Any:
        cache = self.context.setdefault("pending", {})
        if obj.pk not in cache:
            cache.update(leave_pending_approvals(ids=[obj.pk]))
            cache.setdefault(obj.pk, None)
        return cache[obj.pk]

    def get_pending_approval(self, obj: LeaveRequest) -> int | None:
        pending = self._pending(obj)
        return pending.pk if pending else None

    def get_approval_due_at(self, obj: LeaveRequest) -> str | None:
        pending = self._pending(obj)
        return pending.due_at.isoformat() if pending and pending.due_at else None


class HandoverInputSerializer(serializers.Serializer):
    incident = serializers.PrimaryKeyRelatedField(queryset=Incident.objects.all())
    to_user = serializers.PrimaryKeyRelatedField(queryset=STAFF_USERS)


class DutyHandoverInputSerializer(serializers.Serializer):
    duty = serializers.CharField(max_length=300)
    to_user = serializers.PrimaryKeyRelatedField(queryset=STAFF_USERS)


class LeaveCreateSerializer(serializers.Serializer):
    organization = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.filter(is_active=True))
    leave_type = serializers.ChoiceField(choices=LeaveType.choices, default=LeaveType.ANNUAL)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    stand_in = serializers.PrimaryKeyRelatedField(queryset=STAFF_USERS)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")
    handover = HandoverInputSerializer(many=True, required=False, default=list)
    duties = DutyHandoverInputSerializer(many=True, required=False, default=list)
    submit = serializers.BooleanField(default=True, help_text="Submit for approval at once (else a draft).")


class LeaveWithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)
    version = serializers.IntegerField(required=False, allow_null=True, default=None)


class DecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=[("approve", "approve"), ("reject", "reject")])
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


def _not_customer(user: Any) -> None:
    if getattr(user, "is_customer", False):
        raise Http404


@extend_schema_view(create=extend_schema(request=LeaveCreateSerializer, responses={201: LeaveSerializer}))
class LeaveViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                   viewsets.GenericViewSet):  # type: ignore[type-arg]
    """Leave requests (LV-…). Staff see all; a customer its organisation's."""

    queryset = LeaveRequest.objects.none()
    serializer_class = LeaveSerializer
    filterset_class = LeaveFilterSet
    ordering = ("-starts_at", "-id")
    ordering_fields = ("starts_at", "id")

    def get_queryset(self) -> Any:
        return leave_list(user=self.request.user)

    def get_object(self) -> LeaveRequest:
        return leave_get(user=self.request.user, pk=self.kwargs["pk"])

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """One's own leave (a manager may file it for an engineer through the pages)."""
        _not_customer(request.user)
        serializer = LeaveCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        now = timezone.now()
        leave = leave_create(
            actor=request.user, engineer=request.user, organization=data["organization"],
            starts_at=data["starts_at"], ends_at=data["ends_at"], stand_in=data["stand_in"],
            leave_type=data["leave_type"], reason=data["reason"],
            handover=[(h["incident"], h["to_user"]) for h in data["handover"]],
            duties=[(d["duty"], d["to_user"]) for d in data["duties"]], now=now)
        if data["submit"]:
            leave = leave_transition(leave_id=leave.pk, actor=request.user, action="submit", now=now)
        return Response(LeaveSerializer(leave_get(user=request.user, pk=leave.pk)).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=LeaveWithdrawSerializer, responses=LeaveSerializer,
                   description="Withdraw (cancel) a leave request before it is approved; 409 on a stale `version`.")
    @action(detail=True, methods=["post"], filter_backends=[])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        _not_customer(request.user)
        leave = self.get_object()
        serializer = LeaveWithdrawSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        leave_transition(leave_id=leave.pk, actor=request.user, action="cancel",
                         version=serializer.validated_data["version"],
                         payload={"reason": serializer.validated_data["reason"]}, now=timezone.now())
        return Response(LeaveSerializer(leave_get(user=request.user, pk=leave.pk)).data)

    @extend_schema(request=DecisionSerializer, responses=LeaveSerializer,
                   description="Decide the pending approval step (company lead, then customer) as one of its "
                               "approvers: the kernel's approval moves the leave on when the step is settled.")
    @action(detail=True, methods=["post"], filter_backends=[])
    def decide(self, request: Request, pk: str | None = None) -> Response:
        leave = self.get_object()
        serializer = DecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        pending = leave_pending_approvals(ids=[leave.pk]).get(leave.pk)
        if pending is None:
            raise ValidationError({"approval": ["Nothing awaits a decision on this leave request."]})
        approval_decide(approval_id=pending.pk, actor=request.user, decision=serializer.validated_data["decision"],
                        comment=serializer.validated_data["comment"], now=timezone.now(), via=ApprovalVia.API)
        return Response(LeaveSerializer(leave_get(user=request.user, pk=leave.pk)).data)


class AdjustmentSerializer(serializers.Serializer):
    dimension = serializers.CharField()
    old_score = serializers.IntegerField()
    new_score = serializers.IntegerField()
    reason = serializers.CharField()
    adjusted_by = serializers.IntegerField(source="adjusted_by_id")
    adjusted_at = serializers.DateTimeField()


class ScorecardSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    user = serializers.IntegerField(source="user_id")
    user_name = serializers.CharField(source="user.display_name")
    month = serializers.DateField()
    status = serializers.ChoiceField(choices=ScorecardStatus.choices)
    scores = serializers.DictField(child=serializers.IntegerField())
    weights = serializers.DictField(child=serializers.IntegerField())
    total = serializers.DecimalField(max_digits=4, decimal_places=2)
    proposal = serializers.JSONField()
    computed_at = serializers.DateTimeField()
    published_at = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField()
    adjustments = AdjustmentSerializer(many=True)


class AdjustInputSerializer(serializers.Serializer):
    dimension = serializers.ChoiceField(choices=[(d, d) for d in DIMENSIONS])
    score = serializers.IntegerField()
    reason = serializers.CharField(max_length=2000)
    version = serializers.IntegerField(required=False, allow_null=True, default=None)


class PublishInputSerializer(serializers.Serializer):
    month = serializers.DateField(help_text="Any day of the month to publish.")


class PublishedSerializer(serializers.Serializer):
    published = serializers.IntegerField()


class ScorecardViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                       viewsets.GenericViewSet):  # type: ignore[type-arg]
    """Monthly KPI scorecards: an engineer their own published ones, KPI managers every one."""

    queryset = Scorecard.objects.none()
    serializer_class = ScorecardSerializer
    filterset_class = ScorecardFilterSet
    ordering = ("-month", "id")
    ordering_fields = ("month", "id")

    def get_queryset(self) -> Any:
        return scorecards_visible(user=self.request.user).prefetch_related("adjustments")

    def get_object(self) -> Scorecard:
        card: Scorecard = scorecard_get(user=self.request.user, pk=self.kwargs["pk"])
        return card

    @extend_schema(request=AdjustInputSerializer, responses=ScorecardSerializer,
                   description="Change one score of a proposed scorecard with a reason (kept in `adjustments`). "
                               "KPI managers only; 409 on a stale `version`.")
    @action(detail=True, methods=["post"], filter_backends=[])
    def adjust(self, request: Request, pk: str | None = None) -> Response:
        card = self.get_object()
        serializer = AdjustInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        scorecard_adjust(actor=request.user, scorecard_id=card.pk, dimension=data["dimension"], score=data["score"],
                         reason=data["reason"], version=data["version"], now=timezone.now())
        return Response(ScorecardSerializer(self.get_queryset().get(pk=card.pk)).data)

    @extend_schema(request=PublishInputSerializer, responses=PublishedSerializer,
                   description="Publish every proposed scorecard of a month (KPI managers only).")
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def publish(self, request: Request) -> Response:
        _not_customer(request.user)
        serializer = PublishInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        count = scorecards_publish(actor=request.user, month=month_start(serializer.validated_data["month"]),
                                   now=timezone.now())
        return Response({"published": count})
