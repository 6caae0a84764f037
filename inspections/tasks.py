"""Thin Celery entry points (beat: opsdesk/celery.py)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from .services import rounds_escalate_overdue, rounds_generate


@shared_task(name="inspections.rounds_generate_task")
def rounds_generate_task() -> dict[str, int]:
    summary = rounds_generate(now=timezone.now())
    return {"created": summary.created, "existing": summary.existing, "failed": summary.failed}


@shared_task(name="inspections.rounds_escalate_task")
def rounds_escalate_task() -> int:
    return rounds_escalate_overdue(now=timezone.now())
