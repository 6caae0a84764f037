"""A level I incident reaches the engineer on duty through a real Celery worker (subprocess)
against Redis and this test's PostgreSQL database: the roster names him, nobody assigned him."""

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

from accounts.choices import Role
from duty.choices import DutyRole
from duty.models import DutyMember, DutyRule
from incidents.services import incident_create
from notifications.choices import ChannelKind
from notifications.models import Delivery, Notification, NotificationChannel, NotificationRule
from opsdesk.celery import app as celery_app
from tests.factories import SupportGroupFactory, UserFactory

REDIS_URL = os.environ.get("REDIS_URL_FOR_TESTS", "redis://127.0.0.1:6379/15")
ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]


def _fresh_connections() -> None:
    """Drop the app's cached broker connection and producer pools, so the next task goes to the
    broker `conf.broker_url` names now (the pools are created once, on first use)."""
    for owner, attr in ((celery_app, "_pool"), (celery_app.amqp, "_producer_pool")):
        setattr(owner, attr, None)  # never closed: kombu's registry may hand the same pool to others


def wait_for(predicate, *, timeout: float, every: float = 0.3) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return bool(predicate())


def test_level_one_reaches_the_on_duty_engineer_through_a_worker(org_a, operator, tmp_path):
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"Redis is not reachable at {REDIS_URL} ({exc}); set REDIS_URL_FOR_TESTS")
    engineer = UserFactory(username="night_engineer", role=Role.ENGINEER)
    off_duty = UserFactory(username="day_engineer", role=Role.ENGINEER)
    group = SupportGroupFactory(name="Night desk")
    group.members.add(engineer, off_duty)
    now = timezone.now()
    rule = DutyRule.objects.create(group=group, role=DutyRole.PRIMARY, starts_at=now - timedelta(hours=1),
                                   shift_length=timedelta(hours=8))
    DutyMember.objects.create(rule=rule, user=engineer, position=0)
    DutyMember.objects.create(rule=rule, user=off_duty, position=1)
    channel = NotificationChannel.objects.create(name="In-app (duty test)", kind=ChannelKind.INAPP, is_active=True)
    major = NotificationRule.objects.create(name="Major → on duty (test)", event="incident.major",
                                            fault_levels=["I"], recipients=["target"])
    major.channels.set([channel])

    db = connection.settings_dict
    database_url = f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    queue = f"duty-it-{uuid.uuid4().hex[:10]}"
    env = {**os.environ, "DATABASE_URL": database_url, "CELERY_BROKER_URL": REDIS_URL, "REDIS_URL": REDIS_URL,
           "CELERY_TASK_ALWAYS_EAGER": "0", "CELERY_TASK_DEFAULT_QUEUE": queue}
    # This process sends the task to the worker's queue on the same broker.
    saved = {k: celery_app.conf[k] for k in ("broker_url", "task_default_queue", "task_always_eager")}
    celery_app.conf.update(broker_url=REDIS_URL, task_default_queue=queue, task_always_eager=False)
    _fresh_connections()  # an earlier test in this process may have opened the pools on another broker
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(  # noqa: S603
        [str(Path(sys.executable).with_name("celery")), "-A", "opsdesk", "worker", "--pool", "solo",
         "--loglevel", "INFO", "--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        logfile = tmp_path / "worker.log"
        assert wait_for(lambda: "ready." in logfile.read_text(), timeout=30), logfile.read_text()[-3000:]
        inc = incident_create(actor=operator, organization=org_a, title="Core switch down", impact="high",
                              urgency="high", now=timezone.now())
        assert inc.fault_level == "I" and inc.assignee_id is None

        def paged() -> bool:
            return Notification.objects.filter(user=engineer).exists()

        assert wait_for(paged, timeout=60), logfile.read_text()[-3000:]
        assert Delivery.objects.filter(event="incident.major", user=engineer).count() == 1
        assert not Notification.objects.filter(user=off_duty).exists()
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
