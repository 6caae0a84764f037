"""Notifications API: channels and rules (superusers and project managers), the delivery log
(read-only) and the caller's own in-app inbox (`me/notifications/`)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.views import visible_or_404
from opsdesk.api_errors import parse_id
from opsdesk.filters import IdFilter, StrictBooleanFilter

from ..choices import DeliveryStatus, NotificationEvent
from ..models import Delivery, Notification, NotificationChannel, NotificationRule
from ..selectors import (
    can_configure_notifications,
    channel_list,
    delivery_list,
    notification_list,
    notification_unread_count,
    rule_list,
)
from ..services import channel_save, notification_mark_all_read, notification_mark_read, rule_save
from .serializers import (
    ChannelSerializer,
    DeliverySerializer,
    NotificationSerializer,
    RuleSerializer,
)


class CanConfigureNotifications(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        if getattr(request.user, "is_customer", False) and view.kwargs:
            # Customers never learn that a configuration row exists: 404, like anything invisible.
            raise NotFound
        return can_configure_notifications(request.user)


class DeliveryFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=DeliveryStatus.choices)
    event = django_filters.ChoiceFilter(choices=NotificationEvent.choices)
    channel = IdFilter(field_name="channel_id")
    dedup_key = django_filters.CharFilter()

    class Meta:
        model = Delivery
        fields = ("status", "event", "channel", "dedup_key")


class NotificationFilterSet(django_filters.FilterSet):
    unread = StrictBooleanFilter(field_name="read_at", lookup_expr="isnull")

    class Meta:
        model = Notification
        fields = ("unread", "event")


class NoDeleteModelViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                           mixins.UpdateModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """Configuration rows are switched off (is_active), never deleted: deliveries point at them."""

    permission_classes = [CanConfigureNotifications]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_object(self) -> Any:
        return visible_or_404(self.get_queryset(), self.kwargs["pk"])


class ChannelViewSet(NoDeleteModelViewSet):
    """Notification channels. Secret fields (webhook_url, secret, access_key_secret) are
    write-only; a blank one in a PATCH keeps the stored value."""

    queryset = NotificationChannel.objects.none()
    serializer_class = ChannelSerializer
    ordering = ("name",)
    ordering_fields = ("name", "id")

    def get_queryset(self) -> QuerySet[NotificationChannel]:
        return channel_list(user=self.request.user)

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:  # type: ignore[type-arg]
        serializer.instance = channel_save(channel=None, data=serializer.validated_data)

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:  # type: ignore[type-arg]
        serializer.instance = channel_save(channel=serializer.instance, data=serializer.validated_data)


class RuleViewSet(NoDeleteModelViewSet):
    """Notification rules: event × fault levels × organisation → channels and recipients."""

    queryset = NotificationRule.objects.none()
    serializer_class = RuleSerializer
    ordering = ("event", "name")
    ordering_fields = ("event", "name", "id")

    def get_queryset(self) -> QuerySet[NotificationRule]:
        return rule_list(user=self.request.user)

    def _save(self, serializer: serializers.BaseSerializer, rule: NotificationRule | None) -> None:  # type: ignore[type-arg]
        data = dict(serializer.validated_data)
        channels = data.pop("channels", None)
        serializer.instance = rule_save(rule=rule, data=data, channels=channels)

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:  # type: ignore[type-arg]
        self._save(serializer, None)

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:  # type: ignore[type-arg]
        self._save(serializer, serializer.instance)


class DeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """The delivery log: every message, its status and every attempt with the (scrubbed) answer."""

    queryset = Delivery.objects.none()
    serializer_class = DeliverySerializer
    permission_classes = [CanConfigureNotifications]
    filterset_class = DeliveryFilterSet
    ordering = ("-created_at",)
    ordering_fields = ("created_at", "id")

    def get_queryset(self) -> QuerySet[Delivery]:
        return delivery_list(user=self.request.user)

    def get_object(self) -> Delivery:
        return visible_or_404(self.get_queryset(), self.kwargs["pk"])


class MyNotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """The caller's own in-app inbox (`?unread=true`); mark one or all read."""

    queryset = Notification.objects.none()
    serializer_class = NotificationSerializer
    permission_classes = [IsAuthenticated]
    filterset_class = NotificationFilterSet
    ordering = ("-created_at",)
    ordering_fields = ("created_at", "id")

    def get_queryset(self) -> QuerySet[Notification]:
        return notification_list(user=self.request.user)

    def get_object(self) -> Notification:
        return visible_or_404(self.get_queryset(), self.kwargs["pk"])

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str | None = None) -> Response:
        notification = notification_mark_read(user=request.user, notification_id=parse_id(pk), now=timezone.now())
        return Response(NotificationSerializer(notification).data)

    @extend_schema(request=None, responses=inline_serializer(
        "NotificationsMarkedRead", {"marked": serializers.IntegerField(), "unread": serializers.IntegerField()}))
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        count = notification_mark_all_read(user=request.user, now=timezone.now())
        return Response({"marked": count, "unread": 0}, status=status.HTTP_200_OK)

    @extend_schema(responses=inline_serializer("NotificationsUnreadCount", {"unread": serializers.IntegerField()}))
    @action(detail=False, methods=["get"], url_path="unread-count")
    def unread_count(self, request: Request) -> Response:
        return Response({"unread": notification_unread_count(user=request.user)})
