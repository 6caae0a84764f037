"""Thin Celery entry points: beat's sweep queues one poll per active mailbox."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from opsdesk.queueing import task_queue

from .services import mailbox_poll, mailboxes_due


@shared_task(name="mailin.mailboxes_poll_sweep_task", ignore_result=True)
def mailboxes_poll_sweep_task() -> int:
    ids = mailboxes_due()
    for pk in ids:
        task_queue("mailin.mailbox_poll_task", pk)
    return len(ids)


@shared_task(name="mailin.mailbox_poll_task", ignore_result=True)
def mailbox_poll_task(mailbox_id: int) -> dict[str, Any]:
    return mailbox_poll(mailbox_id=mailbox_id).as_dict()
