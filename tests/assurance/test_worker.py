"""A failed backup run reported with the job's token opens an incident on the CI through a real
Celery worker (subprocess) against Redis and this test's PostgreSQL database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection
from rest_framework.test import APIClient

from assurance.models import BackupJob, BackupRun
from incidents.models import Incident
from opsdesk.celery import app as celery_app

REDIS_URL = os.environ.get("REDIS_URL_FOR_TESTS", "redis://127.0.0.1:6379/15")
ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]


def _fresh_connections() -> None:
    """Drop the app's cached broker connection and producer pools (see tests/duty/test_worker.py)."""
    for owner, attr in ((celery_app, "_pool"), (celery_app.amqp, "_producer_pool")):
        setattr(owner, attr, None)


def wait_for(predicate, *, timeout: float, every: float = 0.3) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return bool(predicate())


def test_failed_backup_opens_an_incident_through_a_worker(job_token, tmp_path):
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"Redis is not reachable at {REDIS_URL} ({exc}); set REDIS_URL_FOR_TESTS")
    job, token = job_token
    db = connection.settings_dict
    database_url = f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    queue = f"assurance-it-{uuid.uuid4().hex[:10]}"
    env = {**os.environ, "DATABASE_URL": database_url, "CELERY_BROKER_URL": REDIS_URL, "REDIS_URL": REDIS_URL,
           "CELERY_TASK_ALWAYS_EAGER": "0", "CELERY_TASK_DEFAULT_QUEUE": queue}
    saved = {k: celery_app.conf[k] for k in ("broker_url", "task_default_queue", "task_always_eager")}
    celery_app.conf.update(broker_url=REDIS_URL, task_default_queue=queue, task_always_eager=False)
    _fresh_connections()
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(  # noqa: S603
        [str(Path(sys.executable).with_name("celery")), "-A", "opsdesk", "worker", "--pool", "solo",
         "--loglevel", "INFO", "--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        logfile = tmp_path / "worker.log"
        assert wait_for(lambda: "ready." in logfile.read_text(), timeout=30), logfile.read_text()[-3000:]
        response = APIClient().post("/api/v1/assurance/backup-runs/report/",
                                    {"outcome": "failed", "message": "rsync exited 23"}, format="json",
                                    HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 201, response.content
        run_id = response.json()["id"]
        assert response.json()["incident"] is None  # the request only queued the work

        def opened() -> bool:
            return BackupRun.objects.filter(pk=run_id, incident__isnull=False).exists()

        assert wait_for(opened, timeout=60), logfile.read_text()[-3000:]
        run = BackupRun.objects.select_related("incident").get(pk=run_id)
        assert run.incident.ci_id == job.ci_id and run.incident.group_id == job.group_id  # assigned to the group
        assert "backup.backup_failure_task" in logfile.read_text() or "assurance.backup_failure_task" in logfile.read_text()
        assert BackupJob.objects.get(pk=job.pk).incident_id == run.incident_id
        assert Incident.objects.filter(ci=job.ci).count() == 1
    finally:
        celery_app.conf.update(saved)
        _fresh_connections()
        try:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=15)
        except (subprocess.TimeoutExpired, ProcessLookupError):
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=5)
        log.close()
