"""Thin Celery entry points for reports: generate one run, the hourly schedule sweep (beat), and the
e-mail of a schedule's pack. Each loads by id and is safe to run twice (see reports/services.py)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from .services import report_email_send, report_generate, schedule_sweep


@shared_task(name="reports.report_generate_task", ignore_result=True)
def report_generate_task(run_id: int) -> None:
    report_generate(run_id=run_id, now=timezone.now())


@shared_task(name="reports.schedules_sweep_task", ignore_result=True)
def schedules_sweep_task() -> dict[str, int]:
    return schedule_sweep(now=timezone.now())


@shared_task(name="reports.report_email_send_task", ignore_result=True)
def report_email_send_task(email_id: int) -> None:
    report_email_send(email_id=email_id, now=timezone.now())
