"""Permission-scoped reads of configuration items."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from .models import CI


def ci_list(*, user: Any) -> QuerySet[CI]:
    return CI.objects.visible_to(user).select_related("ci_class", "organization")


def ci_get(*, user: Any, pk: Any) -> CI:
    try:
        return ci_list(user=user).get(pk=int(pk))
    except (CI.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
