"""Thin Celery entry points (beat: opsdesk/celery.py)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from .services import backup_failure_handle, backups_sweep, overdue_escalate


@shared_task(name="assurance.backup_failure_task")
def backup_failure_task(run_id: int) -> int | None:
    incident = backup_failure_handle(run_id=run_id, now=timezone.now())
    return incident.pk if incident is not None else None


@shared_task(name="assurance.backups_sweep_task")
def backups_sweep_task() -> dict[str, int]:
    summary = backups_sweep(now=timezone.now())
    return {"failed": summary.failed_handled, "missed": summary.missed_reported, "errors": summary.errors}


@shared_task(name="assurance.overdue_escalate_task")
def overdue_escalate_task() -> int:
    return overdue_escalate(now=timezone.now())
