"""Admin pages of operations: failed Celery tasks, with a retry button for idempotent ones. Thin."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from rest_framework.exceptions import ValidationError as ApiValidationError

from accounts.views import keyset_page, staff_required
from tickets.forms import error_text

from .selectors import failed_task_get, failed_task_list
from .services import failed_task_retry, may_retry


@require_GET
@staff_required
def failed_tasks_view(request: HttpRequest) -> HttpResponse:
    qs = failed_task_list(user=request.user, task_name=request.GET.get("task", "")[:200])
    try:
        rows, cursor = keyset_page(qs, after=request.GET.get("after"), fields=("failed_at", "id"))
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        rows, cursor = [], None
    items = [{"task": row, "retryable": may_retry(row)} for row in rows]
    return render(request, "ops/failed_tasks.html", {"items": items, "next_cursor": cursor})


@require_GET
@staff_required
def failed_task_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    task = failed_task_get(user=request.user, pk=pk)
    return render(request, "ops/failed_task_detail.html", {"task": task, "retryable": may_retry(task)})


@require_POST
@staff_required
def failed_task_retry_view(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        failed_task_retry(failed_id=pk, actor=request.user, now=timezone.now())
    except ApiValidationError as exc:
        detail = exc.detail
        text = " ".join(str(m) for msgs in detail.values() for m in msgs) if isinstance(detail, dict) else str(detail)
        messages.error(request, text)
        return redirect("ops:failed_task_detail", pk=pk)
    messages.success(request, _("The task was queued again."))
    return redirect("ops:failed_task_detail", pk=pk)
