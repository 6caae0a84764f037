"""Thin Celery entry points of the ticket kernel: daily audit anchors and the approval sweep (beat)."""

from __future__ import annotations

from dataclasses import asdict

from celery import shared_task
from django.utils import timezone


@shared_task(name="tickets.audit_anchors_sweep_task", ignore_result=True)
def audit_anchors_sweep_task() -> int:
    from .anchors import audit_anchors_sweep

    return audit_anchors_sweep(now=timezone.now())


@shared_task(name="tickets.approvals_sweep_task", ignore_result=True)
def approvals_sweep_task() -> dict[str, int]:
    """Remind and escalate overdue approvals (tickets/approvals.py); safe to run twice."""
    from .approvals import approvals_sweep

    return asdict(approvals_sweep(now=timezone.now()))
