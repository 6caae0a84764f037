"""Duty roster API: who is on duty now (per group / region, one query), the roster's entries
(rotations, overrides, swaps, event duty, special support, leave stand-ins) and creating a dated
entry (override, major-event duty, special support) by the roster's managers. Staff only, except
that a customer sees its own organisation's special-support bookings in `duty/rules/`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Organization, SupportGroup, User
from opsdesk import serializers
from opsdesk.filters import UtcDateTimeField

from ..choices import DutyRole, RuleKind
from ..filtersets import DutyRuleFilterSet
from ..models import DutyRule
from ..selectors import duty_on_now, rules_visible
from ..services import can_manage_roster, duty_entry_create


class OnDutySerializer(serializers.Serializer):
    user = serializers.IntegerField(source="user_id")
    name = serializers.CharField()
    group = serializers.IntegerField(source="group_id")
    group_name = serializers.CharField()
    region = serializers.CharField()
    role = serializers.ChoiceField(choices=DutyRole.choices)
    kind = serializers.ChoiceField(choices=RuleKind.choices)
    rule = serializers.IntegerField(source="rule_id")


class DutyRuleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    group = serializers.IntegerField(source="group_id")
    kind = serializers.CharField()
    role = serializers.CharField()
    status = serializers.CharField()
    name = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField(allow_null=True)
    shift_length = serializers.DurationField(allow_null=True)
    layer = serializers.IntegerField()
    replaces = serializers.IntegerField(source="replaces_id", allow_null=True)
    organization = serializers.IntegerField(source="organization_id", allow_null=True)
    reason = serializers.CharField()
    people = serializers.SerializerMethodField()

    def get_people(self, obj: DutyRule) -> list[int]:
        return [m.user_id for m in obj.members.all()]


class DutyEntryInputSerializer(serializers.Serializer):
    group = serializers.PrimaryKeyRelatedField(queryset=SupportGroup.objects.filter(is_active=True))
    kind = serializers.ChoiceField(choices=[(k, RuleKind(k).label) for k in
                                            (RuleKind.OVERRIDE, RuleKind.EVENT, RuleKind.SPECIAL)])
    role = serializers.ChoiceField(choices=DutyRole.choices, default=DutyRole.PRIMARY)
    people = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), many=True)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    replaces = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False,
                                                  allow_null=True, default=None)
    organization = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.filter(is_active=True),
                                                      required=False, allow_null=True, default=None)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


def _staff(user: Any) -> None:
    if not getattr(user, "is_authenticated", False) or not user.is_staff_member:
        raise Http404


class OnDutyView(APIView):
    """Who is on duty at `at` (default now), for one group or region or all — the same resolution
    routing uses (duty/selectors.py)."""

    @extend_schema(
        parameters=[OpenApiParameter("group", int, description="Support group id"),
                    OpenApiParameter("region", str, description="Region of the support groups"),
                    OpenApiParameter("at", str, description="ISO 8601 instant (default: now)")],
        responses=OnDutySerializer(many=True))
    def get(self, request: Request) -> Response:
        _staff(request.user)
        params = request.query_params
        group = None
        if params.get("group"):
            try:
                group = SupportGroup.objects.get(pk=int(params["group"]))
            except (ValueError, SupportGroup.DoesNotExist):
                raise Http404 from None
        at = timezone.now()
        if params.get("at"):
            try:
                at = UtcDateTimeField(required=False).clean(params["at"]) or at
            except forms.ValidationError as exc:
                raise ValidationError({"at": list(exc.messages)}) from exc
        rows = duty_on_now(group, (params.get("region") or "").strip()[:100] or None, at)
        return Response(OnDutySerializer(rows, many=True).data)


@extend_schema_view(create=extend_schema(request=DutyEntryInputSerializer, responses={201: DutyRuleSerializer}))
class DutyRuleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                      viewsets.GenericViewSet):  # type: ignore[type-arg]
    """The roster's entries. Staff see all; a customer only its organisation's special-support bookings."""

    queryset = DutyRule.objects.none()
    serializer_class = DutyRuleSerializer
    filterset_class = DutyRuleFilterSet
    ordering = ("starts_at", "id")
    ordering_fields = ("starts_at", "id")

    def get_queryset(self) -> Any:
        qs = rules_visible(self.request.user).prefetch_related("members")
        user: Any = self.request.user
        if getattr(user, "is_customer", False):
            qs = qs.filter(kind=RuleKind.SPECIAL)
        return qs

    def get_object(self) -> DutyRule:
        try:
            return self.get_queryset().get(pk=int(self.kwargs["pk"]))
        except (DutyRule.DoesNotExist, ValueError, TypeError, OverflowError):
            raise Http404 from None

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        _staff(request.user)
        # Who may book at all is known before the body is read: 403, never a 400 that probes the form.
        if not (can_manage_roster(request.user) or SupportGroup.objects.filter(lead=request.user).exists()):
            raise PermissionDenied
        serializer = DutyEntryInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rule = duty_entry_create(actor=request.user, now=timezone.now(), **serializer.validated_data)
        rule = DutyRule.objects.prefetch_related("members").get(pk=rule.pk)
        return Response(DutyRuleSerializer(rule).data, status=status.HTTP_201_CREATED)
