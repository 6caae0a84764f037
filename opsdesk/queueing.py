"""Queueing Celery tasks by their registered name.

An app's `tasks.py` is a thin entry point that imports its services; services never import their
app's tasks back. They queue work by the task's name instead, after the transaction commits, so
each app reads top-down (choices → models → … → services → tasks) with no import cycle. The
registry lookup (not `send_task`) keeps `task_always_eager` working in tests and the embedded mode."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import transaction


def task_queue(name: str, *args: Any, **kwargs: Any) -> None:
    """Queue the task registered as `name` now (e.g. "incidents.sla_notify_batch_task")."""
    # The project's app, not `current_app`: in a request thread of a threaded server (gunicorn
    # gthread) `current_app` is Celery's per-thread fallback app, which knows none of our tasks.
    from opsdesk.celery import app

    if name not in app.tasks:
        # A web process imports no `tasks` module by itself: autodiscover them (once) as a worker does.
        app.loader.import_default_modules()
    app.tasks[name].delay(*args, **kwargs)


def task_queue_on_commit(name: str, *args: Any, robust: bool = True, **kwargs: Any) -> None:
    """Queue the task once the current transaction commits (never for work that is rolled back);
    `robust`: a broker error is logged and does not fail the request that already committed."""
    transaction.on_commit(partial(task_queue, name, *args, **kwargs), robust=robust)
