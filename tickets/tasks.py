"""Thin Celery entry points of the ticket kernel."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone


@shared_task(name="tickets.audit_anchors_sweep_task", ignore_result=True)
def audit_anchors_sweep_task() -> int:
    from .anchors import audit_anchors_sweep

    return audit_anchors_sweep(now=timezone.now())
