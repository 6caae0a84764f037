"""Queueing Celery tasks by their registered name.

An app's `tasks.py` is a thin entry point that imports its services; services never import their
app's tasks back. They queue work by the task's name instead, after the transaction commits, so
each app reads top-down (choices → models → … → services → tasks) with no import cycle. The
registry lookup (not `send_task`) keeps `task_always_eager` working in tests and the embedded mode."""

from __future__ import annotations

from functools import partial
from typing import Any

from celery import current_app
from django.db import transaction


def task_queue(name: str, *args: Any, **kwargs: Any) -> None:
    """Queue the task registered as `name` now (e.g. "incidents.sla_notify_batch_task")."""
    if name not in current_app.tasks:
        # A web process imports no `tasks` module by itself: autodiscover them (once) as a worker does.
        current_app.loader.import_default_modules()
    current_app.tasks[name].delay(*args, **kwargs)


def task_queue_on_commit(name: str, *args: Any, robust: bool = True, **kwargs: Any) -> None:
    """Queue the task once the current transaction commits (never for work that is rolled back);
    `robust`: a broker error is logged and does not fail the request that already committed."""
    transaction.on_commit(partial(task_queue, name, *args, **kwargs), robust=robust)
