"""A real Celery worker for a test: a `celery -A opsdesk worker` subprocess against Redis and this
test's PostgreSQL database, on a queue of its own, with this process pointed at the same broker and
queue so that what the code under test queues reaches that worker.

The pattern of tests/duty/test_worker.py, tests/assurance/test_worker.py and tests/ops/test_two_beats.py
as one helper (those files still carry their own copies). Needs `pytest.mark.django_db(transaction=True)`:
the worker only sees committed rows."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

REDIS_URL = os.environ.get("REDIS_URL_FOR_TESTS", "redis://127.0.0.1:6379/15")
ROOT = Path(__file__).resolve().parents[1]
CELERY = str(Path(sys.executable).with_name("celery"))


def wait_for(predicate: Callable[[], bool], *, timeout: float, every: float = 0.3) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return bool(predicate())


def redis_or_skip(url: str = REDIS_URL) -> None:
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"Redis is not reachable at {url} ({exc}); set REDIS_URL_FOR_TESTS")


def _fresh_connections() -> None:
    """Drop the app's cached broker connection and producer pools, so the next task goes to the
    broker `conf.broker_url` names now (the pools are created once, on first use)."""
    from opsdesk.celery import app as celery_app

    for owner, attr in ((celery_app, "_pool"), (celery_app.amqp, "_producer_pool")):
        setattr(owner, attr, None)  # never closed: kombu's registry may hand the same pool to others


def _stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except (subprocess.TimeoutExpired, ProcessLookupError):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=5)


@dataclass
class Worker:
    log: Path
    queue: str

    def tail(self, chars: int = 4000) -> str:
        return self.log.read_text()[-chars:]


@contextmanager
def celery_worker(tmp_path: Path, *, name: str, env: dict[str, str] | None = None,
                  ready_timeout: float = 60) -> Iterator[Worker]:
    """Start one worker (solo pool) consuming every queue class of a fresh default queue; yield when
    it is ready; stop it (its process group) and restore this process's Celery configuration."""
    from django.db import connection

    from opsdesk.celery import app as celery_app

    redis_or_skip()
    db = connection.settings_dict
    database_url = (f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
                    f"/{db['NAME']}")
    queue = f"{name}-it-{uuid.uuid4().hex[:10]}"
    full_env = {**os.environ, "DATABASE_URL": database_url, "CELERY_BROKER_URL": REDIS_URL, "REDIS_URL": REDIS_URL,
                "CELERY_TASK_ALWAYS_EAGER": "0", "CELERY_TASK_DEFAULT_QUEUE": queue, "LOG_FORMAT": "text",
                **(env or {})}
    saved = {k: celery_app.conf[k] for k in ("broker_url", "task_default_queue", "task_always_eager")}
    celery_app.conf.update(broker_url=REDIS_URL, task_default_queue=queue, task_always_eager=False)
    _fresh_connections()  # an earlier test in this process may have opened the pools on another broker
    log = tmp_path / f"{name}-worker.log"
    with log.open("w") as out:
        proc = subprocess.Popen(  # noqa: S603
            [CELERY, "-A", "opsdesk", "worker", "--pool", "solo", "-n", f"{name}-{uuid.uuid4().hex[:6]}@%h",
             "--loglevel", "INFO", "--without-heartbeat", "--without-gossip", "--without-mingle"],
            cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    worker = Worker(log=log, queue=queue)
    try:
        assert wait_for(lambda: "ready." in log.read_text(), timeout=ready_timeout), worker.tail()
        yield worker
    finally:
        celery_app.conf.update(saved)
        _fresh_connections()
        _stop(proc)
