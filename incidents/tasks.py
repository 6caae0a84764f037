"""Thin Celery entry points for incidents: the SLA sweep (beat) and the notifications it queues."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from notifications.services import notification_emit

from .sla import sla_sweep

logger = logging.getLogger(__name__)


@shared_task(name="incidents.sla_sweep_task", ignore_result=True)
def sla_sweep_task() -> dict[str, int]:
    return sla_sweep(now=timezone.now()).as_dict()


def _emit(*, event: str, fault_level: str | None, organization_id: int | None, context: dict[str, Any],
          dedup_key: str) -> None:
    notification_emit(event=event, fault_level=fault_level, organization_id=organization_id, context=context,
                      dedup_key=dedup_key, now=timezone.now())


@shared_task(name="incidents.sla_notify_task", ignore_result=True)
def sla_notify_task(*, event: str, fault_level: str | None, organization_id: int | None, context: dict[str, Any],
                    dedup_key: str) -> None:
    """Emit one SLA notification; the dedup key makes a repeated message harmless."""
    _emit(event=event, fault_level=fault_level, organization_id=organization_id, context=context,
          dedup_key=dedup_key)


@shared_task(name="incidents.sla_notify_batch_task", ignore_result=True)
def sla_notify_batch_task(payloads: list[dict[str, Any]]) -> None:
    """Emit the notifications of one sweep chunk (or one service call), each as `sla_notify_task`
    would: one that fails is rolled back and logged, and does not hold back the others."""
    for payload in payloads:
        try:
            with transaction.atomic():
                _emit(**payload)
        except Exception:  # noqa: BLE001 - logged; the others still go out
            logger.exception("SLA notification %s failed", payload.get("dedup_key"))
