"""Celery signal handlers: every failed task becomes a FailedTask row (admins see it at
/ops/failed-tasks/); every periodic (beat) task stamps its TaskHeartbeat, which /metrics reads."""

from __future__ import annotations

import logging
import time
import traceback as tb
from typing import Any

from celery.signals import task_failure, task_postrun, task_prerun
from django.db import close_old_connections, connection
from django.utils import timezone

logger = logging.getLogger(__name__)
_started: dict[str, float] = {}


def _periodic(name: str) -> bool:
    from opsdesk.celery import app

    return any(entry.get("task") == name for entry in app.conf.beat_schedule.values())


@task_failure.connect
def record_failure(sender: Any = None, task_id: str = "", exception: BaseException | None = None,
                   args: Any = None, kwargs: Any = None, einfo: Any = None, **extra: Any) -> None:
    from .services import failed_task_record

    name = getattr(sender, "name", str(sender))
    if getattr(getattr(sender, "request", None), "is_eager", False):
        return  # eager (tests, CELERY_TASK_ALWAYS_EAGER): the caller sees the exception itself
    try:
        if not connection.in_atomic_block:
            close_old_connections()  # a task killed by a lost connection leaves it unusable
        text = str(getattr(einfo, "traceback", "")) if einfo is not None else "".join(tb.format_exc())
        hostname = getattr(getattr(sender, "request", None), "hostname", "") or ""
        failed_task_record(task_name=name, task_id=task_id or "", args=args, kwargs=kwargs,
                           exception=exception or RuntimeError("unknown"), traceback_text=text,
                           hostname=hostname, now=timezone.now())
    except Exception:  # noqa: BLE001 - recording must never mask the original failure
        logger.exception("could not record the failure of %s", name)


@task_prerun.connect
def stamp_start(sender: Any = None, task_id: str = "", task: Any = None, **extra: Any) -> None:
    name = getattr(task, "name", "")
    if getattr(getattr(task, "request", None), "is_eager", False) or not _periodic(name):
        return
    from .services import heartbeat_stamp

    _started[task_id] = time.monotonic()
    try:
        heartbeat_stamp(task_name=name, started_at=timezone.now())
    except Exception:  # noqa: BLE001
        logger.exception("could not stamp the start of %s", name)


@task_postrun.connect
def stamp_finish(sender: Any = None, task_id: str = "", task: Any = None, state: str = "", **extra: Any) -> None:
    begun = _started.pop(task_id, None)
    name = getattr(task, "name", "")
    if begun is None or state != "SUCCESS":
        return
    from .services import heartbeat_stamp

    try:
        heartbeat_stamp(task_name=name, finished_at=timezone.now(), duration=time.monotonic() - begun)
    except Exception:  # noqa: BLE001
        logger.exception("could not stamp the end of %s", name)
