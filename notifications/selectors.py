"""Permission-scoped reads: the delivery log and configuration are for superusers and project
managers; everyone reads their own in-app inbox only."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Max, Prefetch, Q, QuerySet

from accounts.choices import Role
from opsdesk.statements import compiled_rows

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


BADGE_CAP = 99


def notification_unread_badge(*, user: Any) -> str:
    """The navigation's unread figure: one COUNT over at most BADGE_CAP + 1 rows of the partial
    index on unread messages, so 294 unread cost what 100 cost; "99+" beyond the cap, "" for none."""
    if not getattr(user, "is_authenticated", False):
        return ""
    # On every page: compiled once per process (opsdesk.statements), the person's id substituted.
    count = len(compiled_rows(model=Notification, shape="notification_unread_badge", build=_unread_ids, key=user.pk))
    if not count:
        return ""
    return f"{BADGE_CAP}+" if count > BADGE_CAP else str(count)


def _unread_ids(user_id: Any) -> QuerySet[Any]:
    return Notification.objects.filter(user_id=user_id, read_at__isnull=True).values_list("pk")[: BADGE_CAP + 1]


def notification_groups(qs: QuerySet[Notification]) -> QuerySet[Any]:
    """The inbox grouped by ticket: per ticket number (blank = not about a ticket) the number of
    messages, of unread ones, and the newest time; most recent first."""
    return (qs.order_by().values("subject")
            .annotate(total=Count("id"), unread=Count("id", filter=Q(read_at__isnull=True)), latest=Max("created_at"))
            .order_by("-latest", "subject"))
