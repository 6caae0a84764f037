"""Writers of the operations records: a failed task is recorded (task_failure signal), a periodic
task's run is stamped (task_prerun/postrun), an admin retries an idempotent failed task."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from opsdesk.queueing import task_queue_on_commit

from .models import FailedTask, TaskHeartbeat
from .scrub import args_summary, scrub_text

logger = logging.getLogger(__name__)

# Tasks that are safe to run again by hand: each claims its work in the database (row locks, unique
# claims, status guards), so a retry after a partial run never does anything twice.
RETRYABLE_TASKS = frozenset({
    "incidents.sla_sweep_task",
    "notifications.deliveries_flush_task",
    "notifications.digests_send_task",
    "notifications.delivery_send_task",
    "quality.invitations_sweep_task",
    "changes.customer_approvals_send_due_task",
    "reports.schedules_sweep_task",
    "reports.report_generate_task",
    "tickets.audit_anchors_sweep_task",
    "tickets.approvals_sweep_task",
    "mailin.mailboxes_poll_sweep_task",
    "mailin.mailbox_poll_task",
    "inspections.rounds_generate_task",
    "inspections.rounds_escalate_task",
})


def may_view_failed_tasks(user: Any) -> bool:
    """Administrators: superusers, project managers and supervisors."""
    return bool(getattr(user, "is_authenticated", False)
                and (user.is_superuser or getattr(user, "role", "") in {"manager", "supervisor"}))


def failed_task_record(*, task_name: str, task_id: str, args: Any, kwargs: Any, exception: BaseException,
                       traceback_text: str, hostname: str, now: datetime) -> FailedTask:
    call: dict[str, Any] = {}
    if task_name in RETRYABLE_TASKS:
        call = {"args": list(args or []), "kwargs": dict(kwargs or {})}
    return FailedTask.objects.create(
        task_name=task_name[:200], task_id=(task_id or "")[:64], args_summary=args_summary(args, kwargs),
        exception=scrub_text(f"{type(exception).__name__}: {exception}")[:2000],
        traceback=scrub_text(traceback_text)[-20000:], failed_at=now, hostname=(hostname or "")[:200], call=call)


def heartbeat_stamp(*, task_name: str, started_at: datetime | None = None, finished_at: datetime | None = None,
                    duration: float | None = None) -> None:
    """Upsert one periodic task's last run (two workers may stamp the same task at once)."""
    fields: dict[str, Any] = {}
    if started_at is not None:
        fields["last_started_at"] = started_at
    if finished_at is not None:
        fields.update(last_finished_at=finished_at, last_duration=duration, runs=F("runs") + 1)
    if TaskHeartbeat.objects.filter(task_name=task_name).update(**fields):
        return
    try:
        with transaction.atomic():
            TaskHeartbeat.objects.create(task_name=task_name, **{k: v for k, v in fields.items() if k != "runs"},
                                         runs=1 if finished_at is not None else 0)
    except IntegrityError:
        TaskHeartbeat.objects.filter(task_name=task_name).update(**fields)


def may_retry(failed: FailedTask) -> bool:
    return failed.task_name in RETRYABLE_TASKS and failed.retried_at is None and bool(failed.call)


@transaction.atomic
def failed_task_retry(*, failed_id: int, actor: Any, now: datetime) -> FailedTask:
    """Queue the failed call again, once (the row is locked; a second click is a field error)."""
    if not may_view_failed_tasks(actor):
        raise Http404
    failed = FailedTask.objects.select_for_update().filter(pk=failed_id).first()
    if failed is None:
        raise Http404
    if not may_retry(failed):
        raise ValidationError({"task": [_("This task cannot be retried (not idempotent, or retried already).")]})
    failed.retried_at, failed.retried_by = now, actor
    failed.save(update_fields=["retried_at", "retried_by"])
    task_queue_on_commit(failed.task_name, *failed.call.get("args", []), **failed.call.get("kwargs", {}))
    return failed
