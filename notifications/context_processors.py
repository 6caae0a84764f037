"""The navigation's unread badge, computed only when a page's navigation actually shows it."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .selectors import notification_unread_badge


def inbox_badge(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {"inbox_badge": SimpleLazyObject(lambda: notification_unread_badge(user=user))}
