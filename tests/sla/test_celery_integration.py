"""A real Celery worker with its embedded beat (subprocess) against Redis and this test's
PostgreSQL database: with second-scale targets and a sweep every second, a warning, a breach and
an escalation happen, and each is recorded exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from incidents.services import incident_create, incident_transition
from notifications.models import Delivery
from tickets.models import TicketEvent

from .conftest import make_policy

REDIS_URL = os.environ.get("REDIS_URL_FOR_TESTS", "redis://127.0.0.1:6379/15")
ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]


def redis_reachable(url: str) -> str | None:
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001
        return str(exc)
    return None


def wait_for(predicate, *, timeout: float, every: float = 0.3) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return bool(predicate())


def test_worker_and_beat_fire_warning_breach_and_escalation_once(org_a, operator, people, inapp_rules, tmp_path):
    problem = redis_reachable(REDIS_URL)
    if problem:
        pytest.skip(f"Redis is not reachable at {REDIS_URL} ({problem}); set REDIS_URL_FOR_TESTS")
    db = connection.settings_dict
    database_url = f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {**os.environ, "DATABASE_URL": database_url, "CELERY_BROKER_URL": REDIS_URL, "REDIS_URL": REDIS_URL,
           "SLA_SWEEP_SECONDS": "1", "CELERY_TASK_ALWAYS_EAGER": "0",
           "CELERY_TASK_DEFAULT_QUEUE": f"sla-it-{uuid.uuid4().hex[:10]}"}
    make_policy(targets={"I": {"respond": timedelta(seconds=10)}}, thresholds=[50])
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(  # noqa: S603
        [str(Path(sys.executable).with_name("celery")), "-A", "opsdesk", "worker", "--beat", "--pool", "solo",
         "--loglevel", "INFO", "-s", str(tmp_path / "beat-schedule"), "--without-heartbeat", "--without-gossip",
         "--without-mingle"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        logfile = tmp_path / "worker.log"
        assert wait_for(lambda: "ready." in logfile.read_text(), timeout=30), logfile.read_text()[-3000:]
        now = timezone.now()
        inc = incident_create(actor=operator, organization=org_a, title="Core down", impact="high", urgency="high",
                              now=now)
        incident_transition(incident_id=inc.pk, actor=people["dispatcher"], action="assign",
                            payload={"assignee": people["engineer"].pk, "group": people["group"].pk}, now=now)

        def seen(action: str) -> int:
            return TicketEvent.objects.filter(ticket_kind="incident", ticket_id=inc.pk, action=action).count()

        assert wait_for(lambda: seen("escalated") >= 1 and Delivery.objects.filter(event="escalation").exists(),
                        timeout=40), logfile.read_text()[-3000:]
        time.sleep(3)  # three more sweeps: nothing more may happen
        assert (seen("sla_warning"), seen("sla_breach"), seen("escalated")) == (1, 1, 1)
        warning = TicketEvent.objects.get(ticket_kind="incident", ticket_id=inc.pk, action="sla_warning")
        assert (warning.data["target"], warning.data["pct"]) == ("respond", 50)
        inc.refresh_from_db()
        assert inc.escalation_level == 1
        assert Delivery.objects.filter(event="sla.warning").count() == 1
        assert Delivery.objects.filter(event="sla.breach").count() == 1
        assert list(Delivery.objects.filter(event="escalation").values_list("user_id", flat=True)) == [
            people["group_lead"].pk]
    finally:
        try:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=15)
        except (subprocess.TimeoutExpired, ProcessLookupError):
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=5)
        log.close()
