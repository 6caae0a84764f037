"""Permission-scoped reads: the delivery log and configuration are for superusers and project
managers; everyone reads their own in-app inbox only."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from accounts.choices import Role

from .models import Delivery, DeliveryAttempt, Notification, NotificationChannel, NotificationRule


def can_configure_notifications(user: Any) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.role == Role.MANAGER))


def channel_list(*, user: Any) -> QuerySet[NotificationChannel]:
    qs = NotificationChannel.objects.all()
    return qs if can_configure_notifications(user) else qs.none()


def rule_list(*, user: Any) -> QuerySet[NotificationRule]:
    qs = NotificationRule.objects.select_related("organization").prefetch_related("channels")
    return qs if can_configure_notifications(user) else qs.none()


def delivery_list(*, user: Any) -> QuerySet[Delivery]:
    qs = Delivery.objects.select_related("channel", "rule", "user").prefetch_related(
        Prefetch("attempt_log", queryset=DeliveryAttempt.objects.order_by("at", "id"))
    )
    return qs if can_configure_notifications(user) else qs.none()


def notification_list(*, user: Any) -> QuerySet[Notification]:
    """The user's own inbox, newest first."""
    if not user.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(user_id=user.pk).order_by("-created_at", "-id")


def notification_unread_count(*, user: Any) -> int:
    return notification_list(user=user).filter(read_at__isnull=True).count()
