"""Reads of the operations records (admins only; everyone else is 404)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from .models import FailedTask
from .services import may_view_failed_tasks


def failed_task_list(*, user: Any, task_name: str = "") -> QuerySet[FailedTask]:
    if not may_view_failed_tasks(user):
        raise Http404
    qs = FailedTask.objects.select_related("retried_by")
    return qs.filter(task_name=task_name) if task_name else qs


def failed_task_get(*, user: Any, pk: int) -> FailedTask:
    found = failed_task_list(user=user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found
