"""Thin Celery entry points (beat: opsdesk/celery.py)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from .services import findings_escalate_overdue


@shared_task(name="security.findings_escalate_task")
def findings_escalate_task() -> int:
    return findings_escalate_overdue(now=timezone.now())
