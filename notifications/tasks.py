"""Thin Celery entry points: load by id, let the service check the state (safe to run twice)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from .services import deliveries_flush, delivery_send, digests_send


@shared_task(name="notifications.delivery_send_task", ignore_result=True)
def delivery_send_task(delivery_id: int) -> None:
    delivery_send(delivery_id=delivery_id, now=timezone.now())


@shared_task(name="notifications.deliveries_flush_task", ignore_result=True)
def deliveries_flush_task() -> None:
    deliveries_flush(now=timezone.now())


@shared_task(name="notifications.digests_send_task", ignore_result=True)
def digests_send_task() -> None:
    digests_send(now=timezone.now())
