"""Observability (issue 17): request ids (forwarded ones believed only from trusted proxies), JSON
log lines that carry the id, the /metrics samples (latency per route name, SLA sweep, breaches,
failed tasks, queue depth), and failed Celery tasks recorded with secrets scrubbed, listed to admins
only, retried once."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from accounts.choices import Role
from ops.models import FailedTask, TaskHeartbeat
from ops.scrub import args_summary
from ops.services import failed_task_record, heartbeat_stamp
from ops.signals import record_failure
from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def test_request_id_is_generated_unless_a_trusted_proxy_sent_one(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    client = Client()
    generated = client.get("/healthz", REMOTE_ADDR="203.0.113.9", HTTP_X_REQUEST_ID="forged-by-client")
    assert generated["X-Request-ID"] != "forged-by-client" and len(generated["X-Request-ID"]) == 32
    kept = client.get("/healthz", REMOTE_ADDR="10.1.2.3", HTTP_X_REQUEST_ID="lb-7f3a.01")
    assert kept["X-Request-ID"] == "lb-7f3a.01"
    # Even from the proxy, something that is no plain token (log injection) is replaced.
    injected = client.get("/healthz", REMOTE_ADDR="10.1.2.3", HTTP_X_REQUEST_ID="a\nlevel=ERROR")
    assert injected["X-Request-ID"] != "a\nlevel=ERROR" and "\n" not in injected["X-Request-ID"]


def test_log_lines_are_json_with_the_request_id(settings):
    from django.conf import settings as live
    from pythonjsonlogger.json import JsonFormatter

    from opsdesk.observability import RequestIdFilter, request_id_var

    stream = StringIO()
    handler = logging.StreamHandler(stream)
    fmt = live.LOGGING["formatters"]["json"]
    handler.setFormatter(JsonFormatter(fmt["fmt"], rename_fields=fmt["rename_fields"]))
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("tests.ops.json")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    token = request_id_var.set("req-123")
    try:
        logger.info("incident %s opened", "INC-1")
    finally:
        request_id_var.reset(token)
        logger.removeHandler(handler)
    line = json.loads(stream.getvalue().strip())
    assert line["message"] == "incident INC-1 opened" and line["request_id"] == "req-123"
    assert line["level"] == "INFO" and line["logger"] == "tests.ops.json"


def test_metrics_have_latency_per_route_sweep_breaches_and_failures(settings):
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1"]
    now = timezone.now()
    heartbeat_stamp(task_name="incidents.sla_sweep_task", started_at=now - timedelta(seconds=2))
    heartbeat_stamp(task_name="incidents.sla_sweep_task", finished_at=now, duration=1.25)
    failed_task_record(task_name="reports.report_generate_task", task_id="t1", args=[7], kwargs={},
                       exception=RuntimeError("boom"), traceback_text="Traceback", hostname="w1", now=now)
    client = Client(REMOTE_ADDR="127.0.0.1")
    client.get("/healthz")
    body = client.get("/metrics").content.decode()
    assert 'opsdesk_http_request_duration_seconds_count{method="GET",route="healthz"}' in body
    assert "opsdesk_sla_sweep_duration_seconds 1.25" in body
    assert "opsdesk_sla_sweep_lag_seconds 0.0" in body
    assert 'opsdesk_failed_tasks_total{task="reports.report_generate_task"} 1.0' in body
    assert "# TYPE opsdesk_sla_breaches_total counter" in body
    assert TaskHeartbeat.objects.get().runs == 1


def test_queue_depth_is_read_from_redis(settings):
    import os

    import redis

    url = os.environ.get("REDIS_URL_FOR_TESTS", "redis://127.0.0.1:6379/15")
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2)
        client.ping()
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"Redis is not reachable at {url} ({exc})")
    from ops.metrics import queue_depths
    from opsdesk.celery import app

    settings.CELERY_BROKER_URL = url
    saved = app.conf.task_default_queue
    app.conf.task_default_queue = "depth-test"
    try:
        client.delete("depth-test.reports", "depth-test.sla")
        client.rpush("depth-test.reports", "a", "b", "c")
        depths = queue_depths()
        assert depths is not None and depths["depth-test.reports"] == 3 and depths["depth-test.sla"] == 0
    finally:
        client.delete("depth-test.reports")
        app.conf.task_default_queue = saved
    settings.CELERY_BROKER_URL = "filesystem://"
    assert queue_depths() is None


def test_argument_summaries_mask_secrets():
    text = args_summary(["redis://user:hunter2@cache:6379/0", 42],
                        {"password": "hunter2", "options": {"api_token": "abc", "site": "x"}})
    assert "hunter2" not in text and "abc" not in text
    assert "42" in text and "'site': 'x'" in text and "***" in text


def test_a_failed_worker_task_is_recorded_by_the_signal_and_admins_retry_it_once(
        django_capture_on_commit_callbacks, monkeypatch):
    sender = SimpleNamespace(name="incidents.sla_sweep_task", request=SimpleNamespace(is_eager=False, hostname="w@h"))
    try:
        raise ValueError("database went away: postgres://ops:s3cret@db/opsdesk")
    except ValueError as exc:
        record_failure(sender=sender, task_id="abc", exception=exc, args=[], kwargs={"token": "zzz"},
                       einfo=SimpleNamespace(traceback="Traceback ... postgres://ops:s3cret@db/opsdesk"))
    failed = FailedTask.objects.get()
    assert failed.task_name == "incidents.sla_sweep_task" and failed.hostname == "w@h"
    assert "s3cret" not in failed.exception + failed.traceback + failed.args_summary
    assert "zzz" not in failed.args_summary

    manager = UserFactory(username="ops_manager", role=Role.MANAGER)
    engineer = UserFactory(username="ops_engineer", role=Role.ENGINEER)
    customer = UserFactory(username="ops_customer", role=Role.CUSTOMER, organization=OrganizationFactory())
    queued: list[str] = []
    monkeypatch.setattr("opsdesk.queueing.task_queue", lambda name, *a, **k: queued.append(name))
    for user, expected in ((engineer, 404), (customer, 404)):
        client = Client()
        client.force_login(user)
        assert client.get("/ops/failed-tasks/").status_code == expected
        assert client.post(f"/ops/failed-tasks/{failed.pk}/retry/").status_code == expected
    client = Client()
    client.force_login(manager)
    page = client.get("/ops/failed-tasks/")
    assert page.status_code == 200 and b"incidents.sla_sweep_task" in page.content and b"Retry" in page.content
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/ops/failed-tasks/{failed.pk}/retry/").status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/ops/failed-tasks/{failed.pk}/retry/")  # a second click queues nothing
    assert queued == ["incidents.sla_sweep_task"]
    failed.refresh_from_db()
    assert failed.retried_by == manager and failed.retried_at is not None
    assert client.get(f"/ops/failed-tasks/{failed.pk}/").status_code == 200


def test_a_task_that_is_not_idempotent_is_not_retryable(django_capture_on_commit_callbacks):
    failed = failed_task_record(task_name="quality.survey_invitation_send_task", task_id="t", args=[5], kwargs={},
                                exception=OSError("smtp down"), traceback_text="", hostname="", now=timezone.now())
    assert failed.call == {}
    manager = UserFactory(username="ops_manager2", role=Role.MANAGER)
    client = Client()
    client.force_login(manager)
    response = client.post(f"/ops/failed-tasks/{failed.pk}/retry/", follow=True)
    assert response.status_code == 200
    failed.refresh_from_db()
    assert failed.retried_at is None
