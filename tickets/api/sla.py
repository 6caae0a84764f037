"""SLA configuration API (shared/API.md `sla/policies/`, `calendars/`): policies with their targets per
fault level, and work calendars with dated days and confirmed years. Staff read; superusers and
project managers write (through tickets.sla_policies); customers do not see configuration (404)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, QuerySet
from django.utils.dateparse import parse_duration
from django.utils.duration import duration_iso_string
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Organization
from opsdesk import serializers
from opsdesk.api_errors import parse_id

from ..choices import CalendarDayKind, CalendarDaySource, ClockKind, SLATargetName
from ..models import CalendarDay, CalendarYear, SLAPolicy, SLATarget, WorkCalendar
from ..sla_policies import (
    FAULT_LEVELS,
    sla_config_can_write,
    sla_policy_create,
    sla_policy_update,
    target_validate,
    thresholds_validate,
    week_validate,
    work_calendar_create,
    work_calendar_update,
)

ISO_DURATION = re.compile(r"^-?P")


@extend_schema_field(OpenApiTypes.STR)
class FlexibleDurationField(serializers.Field[timedelta, Any, Any, Any]):
    """A duration given as seconds (a number) or an ISO 8601 duration ("PT4H", "P3D"); returned as ISO 8601."""

    default_error_messages = {
        "invalid": _("Give a duration in seconds (e.g. 900) or as ISO 8601 (e.g. PT15M, PT4H, P3D)."),
        "too_short": _("A duration is at least 1 second."),
    }

    def to_internal_value(self, data: Any) -> timedelta:
        if isinstance(data, bool):
            self.fail("invalid")
        try:  # a number too large for a timedelta is bad input, not a server error
            if isinstance(data, int | float):
                value = timedelta(seconds=data)
            elif isinstance(data, str) and data.strip():
                text = data.strip()
                value = timedelta(seconds=int(text)) if text.isdigit() else (parse_duration(text)
                                                                             if ISO_DURATION.match(text) else None)
                if value is None:
                    self.fail("invalid")
            else:
                self.fail("invalid")
        except (OverflowError, ValueError):
            self.fail("invalid")
        if value < timedelta(seconds=1):
            self.fail("too_short")
        return value

    def to_representation(self, value: timedelta) -> str:
        return duration_iso_string(value)


def _django_errors(exc: DjangoValidationError) -> serializers.ValidationError:
    return serializers.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)


class WholeItemMixin:
    """An item of a nested list that replaces the whole set (targets, days, years): its required
    fields count even inside a PATCH, where DRF would otherwise skip them and leave half an item."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            fields: Any = getattr(self, "fields", {})
            missing = [name for name, field in fields.items()
                       if field.required and not field.read_only and name not in data]
            if missing:
                raise serializers.ValidationError({name: [_("This field is required.")] for name in missing})
        return super().to_internal_value(data)  # type: ignore[misc]


class SLATargetSerializer(WholeItemMixin, serializers.ModelSerializer[SLATarget]):
    fault_level = serializers.ChoiceField(choices=FAULT_LEVELS)
    target = serializers.ChoiceField(choices=SLATargetName.choices)
    duration = FlexibleDurationField(required=False, allow_null=True, default=None)
    business_days = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1)
    clock = serializers.ChoiceField(choices=ClockKind.choices, default=ClockKind.ALWAYS)

    class Meta:
        model = SLATarget
        fields = ["fault_level", "target", "duration", "business_days", "clock"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        try:
            return target_validate(attrs)
        except DjangoValidationError as exc:
            raise _django_errors(exc) from None


class SLAPolicySerializer(serializers.ModelSerializer[SLAPolicy]):
    organization = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.all(), required=False,
                                                      allow_null=True, default=None)
    calendar = serializers.PrimaryKeyRelatedField(queryset=WorkCalendar.objects.all())
    warn_thresholds = serializers.ListField(child=serializers.IntegerField(), required=False,
                                            help_text=_("Percentages of each target, ascending, 1–99."))
    escalation_step = FlexibleDurationField(required=False, allow_null=True)
    targets = SLATargetSerializer(many=True, required=False)

    class Meta:
        model = SLAPolicy
        fields = ["id", "name", "organization", "calendar", "warn_thresholds", "observation_days", "escalation_step",
                  "is_active", "targets"]

    def validate_warn_thresholds(self, value: list[int]) -> list[int]:
        try:
            return thresholds_validate(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict["warn_thresholds"]) from None

    def validate_targets(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        seen: set[tuple[str, str]] = set()
        errors: dict[int, dict[str, list[str]]] = {}  # keyed by position, like DRF's nested list errors
        for index, item in enumerate(value):
            key = (item["fault_level"], item["target"])
            if key in seen:
                errors[index] = {"target": [str(_("Level %(level)s has this target twice.") % {"level": key[0]})]}
            seen.add(key)
        if errors:
            raise serializers.ValidationError(errors)
        return value


class CalendarDaySerializer(WholeItemMixin, serializers.ModelSerializer[CalendarDay]):
    kind = serializers.ChoiceField(choices=CalendarDayKind.choices)
    source = serializers.ChoiceField(choices=CalendarDaySource.choices, default=CalendarDaySource.ADMIN)

    class Meta:
        model = CalendarDay
        fields = ["date", "kind", "name", "source"]


class CalendarYearSerializer(WholeItemMixin, serializers.ModelSerializer[CalendarYear]):
    year = serializers.IntegerField(min_value=2000, max_value=2100)

    class Meta:
        model = CalendarYear
        fields = ["year", "confirmed", "note"]


class WorkCalendarSerializer(serializers.ModelSerializer[WorkCalendar]):
    code = serializers.SlugField(max_length=40)
    week = serializers.JSONField(
        required=False,
        help_text=_('Working hours per weekday, 0 = Monday: {"0": [["09:00", "12:00"], ["13:30", "18:00"]], …}'))
    days = CalendarDaySerializer(many=True, required=False)
    years = CalendarYearSerializer(many=True, required=False)

    class Meta:
        model = WorkCalendar
        fields = ["id", "code", "name", "time_zone", "week", "makeup_weekday", "holiday_country", "days", "years"]

    def validate_week(self, value: Any) -> Any:
        try:
            return week_validate(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict["week"]) from None

    def validate_days(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        dates = [item["date"] for item in value]
        if len(dates) != len(set(dates)):
            raise serializers.ValidationError(_("Each date may be listed once."))
        return value

    def validate_years(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        years = [item["year"] for item in value]
        if len(years) != len(set(years)):
            raise serializers.ValidationError(_("Each year may be listed once."))
        return value


class SLAConfigPermission(BasePermission):
    """Staff read, superusers and project managers write. Customers: configuration does not exist (404)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user: Any = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        if not user.is_staff_member:
            if not hasattr(view, request.method.lower()):
                return True  # a method this URL does not have: 405 follows, as for everyone
            raise NotFound
        return request.method in SAFE_METHODS or sla_config_can_write(user)


class _ConfigViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    permission_classes = [SLAConfigPermission]
    filter_backends: list[Any] = []
    http_method_names = ["get", "post", "put", "patch", "head", "options"]  # never DELETE: deactivate instead
    ordering = ("id",)
    ordering_fields = ("id",)

    def get_object(self) -> Any:
        try:
            return self.get_queryset().get(pk=parse_id(self.kwargs.get("pk")))
        except self.get_queryset().model.DoesNotExist:
            raise NotFound from None

    def _write(self, request: Request, *, partial: bool, instance: Any = None) -> Response:
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        try:
            saved = self.save(instance=instance, data=dict(serializer.validated_data))
        except DjangoValidationError as exc:
            raise _django_errors(exc) from None
        fresh = self.get_queryset().get(pk=saved.pk)
        return Response(self.get_serializer(fresh).data,
                        status=status.HTTP_201_CREATED if instance is None else status.HTTP_200_OK)

    def save(self, *, instance: Any, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._write(request, partial=False)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._write(request, partial=False, instance=self.get_object())

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._write(request, partial=True, instance=self.get_object())


class SLAPolicyViewSet(_ConfigViewSet):
    """SLA policies: the default (no organisation) and per-organisation contracts, with their targets
    per fault level. `targets`, when sent, is the complete list. Deactivate instead of deleting."""

    serializer_class = SLAPolicySerializer
    queryset = SLAPolicy.objects.none()

    def get_queryset(self) -> QuerySet[SLAPolicy]:
        return SLAPolicy.objects.prefetch_related(
            Prefetch("targets", queryset=SLATarget.objects.order_by("fault_level", "target"))).order_by("id")

    def save(self, *, instance: SLAPolicy | None, data: dict[str, Any]) -> SLAPolicy:
        if instance is None:
            return sla_policy_create(actor=self.request.user, data=data)
        return sla_policy_update(policy_id=instance.pk, actor=self.request.user, data=data)


class WorkCalendarViewSet(_ConfigViewSet):
    """Work calendars: hours per weekday, dated holidays and make-up working days (调休), and which
    years hold official data. `days` / `years`, when sent, are the complete lists."""

    serializer_class = WorkCalendarSerializer
    queryset = WorkCalendar.objects.none()

    def get_queryset(self) -> QuerySet[WorkCalendar]:
        return WorkCalendar.objects.prefetch_related("days", "years").order_by("id")

    def save(self, *, instance: WorkCalendar | None, data: dict[str, Any]) -> WorkCalendar:
        if instance is None:
            return work_calendar_create(actor=self.request.user, data=data)
        return work_calendar_update(calendar_id=instance.pk, actor=self.request.user, data=data)
