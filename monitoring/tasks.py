"""Thin Celery entry points of the monitoring intake: the queued-mode inbox processor."""

from __future__ import annotations

from celery import shared_task

from .inbox import inbox_process


@shared_task(name="monitoring.inbox_process_task", ignore_result=True)
def inbox_process_task() -> dict[str, int]:
    return inbox_process()
