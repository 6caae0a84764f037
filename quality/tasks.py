"""Thin Celery entry points of the quality app: load by id, let the service check the state."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from .services import invitations_sweep, rating_invitation_send, survey_invitation_send


@shared_task(name="quality.invitations_sweep_task", ignore_result=True)
def invitations_sweep_task() -> dict[str, int]:
    return invitations_sweep(now=timezone.now())


@shared_task(name="quality.rating_invitation_send_task", ignore_result=True)
def rating_invitation_send_task(invitation_id: int) -> None:
    rating_invitation_send(invitation_id=invitation_id, now=timezone.now())


@shared_task(name="quality.survey_invitation_send_task", ignore_result=True)
def survey_invitation_send_task(invitation_id: int) -> None:
    survey_invitation_send(invitation_id=invitation_id, now=timezone.now())


@shared_task(name="quality.survey_rounds_schedule_task", ignore_result=True)
def survey_rounds_schedule_task() -> dict[str, int]:
    from .services import survey_rounds_schedule

    return survey_rounds_schedule(now=timezone.now())
