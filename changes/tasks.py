"""Thin Celery entry points of the changes app: load by id, let the service check the state."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from .services import customer_approval_send, customer_approvals_send_due


@shared_task(name="changes.customer_approval_send_task", ignore_result=True)
def customer_approval_send_task(approval_id: int) -> None:
    customer_approval_send(approval_id=approval_id, now=timezone.now())


@shared_task(name="changes.customer_approvals_send_due_task", ignore_result=True)
def customer_approvals_send_due_task() -> int:
    """Periodic safety net for approval e-mails (schedule it in the beat table, e.g. every 10 minutes)."""
    return customer_approvals_send_due(now=timezone.now())
