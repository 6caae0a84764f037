"""Samples /metrics appends at scrape time (settings.METRICS_COLLECTORS), computed from the
database and the broker — not kept in any process — so every web, worker and beat process on every
host is counted exactly once, whichever web process answers the scrape:

- opsdesk_sla_sweep_duration_seconds / opsdesk_sla_sweep_last_finished_age_seconds: the last SLA
  sweep run (TaskHeartbeat, stamped by the workers' task_prerun/postrun signals);
- opsdesk_sla_sweep_lag_seconds: how late the oldest SLA check that is due now is (0: none waiting) —
  the delay a warning or a breach can suffer at this moment;
- opsdesk_task_last_duration_seconds{task}: every periodic task's last run;
- opsdesk_queue_depth{queue}: messages waiting per queue (Redis LLEN; absent with another broker);
- opsdesk_sla_breaches_total{ticket_kind}: breaches recorded in the (append-only) ticket history;
- opsdesk_failed_tasks_total{task}: failed Celery task runs recorded (ops.FailedTask)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from opsdesk.celery import QUEUE_CLASSES, queue_name
from tickets.models import SLAClock, TicketEvent

from .models import FailedTask, TaskHeartbeat

SLA_TASK = "incidents.sla_sweep_task"
KOMBU_PRIORITY_SEP = "\x06\x16"


def sla_sweep_lag_seconds(now: Any = None) -> float:
    now = now or timezone.now()
    oldest = SLAClock.objects.filter(next_check_at__isnull=False, next_check_at__lte=now).aggregate(
        oldest=Min("next_check_at"))["oldest"]
    return max(0.0, (now - oldest).total_seconds()) if oldest else 0.0


def queue_depths() -> dict[str, int] | None:
    """Messages waiting per queue class, or None when the broker is not Redis."""
    url = str(settings.CELERY_BROKER_URL)
    if not url.startswith(("redis://", "rediss://")):
        return None
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    depths: dict[str, int] = {}
    for cls in QUEUE_CLASSES:
        name = queue_name(cls)
        keys = [name, *(f"{name}{KOMBU_PRIORITY_SEP}{step}" for step in (3, 6, 9))]
        pipe = client.pipeline()
        for key in keys:
            pipe.llen(key)
        depths[name] = sum(int(n) for n in pipe.execute())
    return depths


class OpsCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        beats = {hb.task_name: hb for hb in TaskHeartbeat.objects.all()}
        sla = beats.get(SLA_TASK)
        duration = GaugeMetricFamily("opsdesk_sla_sweep_duration_seconds", "Duration of the last SLA sweep")
        age = GaugeMetricFamily("opsdesk_sla_sweep_last_finished_age_seconds", "Seconds since the last SLA sweep ended")
        if sla is not None and sla.last_duration is not None:
            duration.add_metric([], sla.last_duration)
        if sla is not None and sla.last_finished_at is not None:
            age.add_metric([], (now - sla.last_finished_at).total_seconds())
        yield duration
        yield age
        yield GaugeMetricFamily("opsdesk_sla_sweep_lag_seconds", "How late the oldest due SLA check is",
                                value=sla_sweep_lag_seconds(now))
        tasks = GaugeMetricFamily("opsdesk_task_last_duration_seconds", "Last run of each periodic task",
                                  labels=["task"])
        for name, hb in sorted(beats.items()):
            if hb.last_duration is not None:
                tasks.add_metric([name], hb.last_duration)
        yield tasks
        try:
            depths = queue_depths()
        except Exception:  # noqa: BLE001 - a broker outage must not break the scrape (readyz says it)
            depths = None
        if depths is not None:
            depth = GaugeMetricFamily("opsdesk_queue_depth", "Messages waiting per Celery queue", labels=["queue"])
            for name, n in depths.items():
                depth.add_metric([name], n)
            yield depth
        breaches = CounterMetricFamily("opsdesk_sla_breaches", "SLA breaches recorded", labels=["ticket_kind"])
        for row in (TicketEvent.objects.filter(action="sla_breach").values("ticket_kind")
                    .annotate(n=Count("id")).order_by()):
            breaches.add_metric([row["ticket_kind"]], row["n"])
        yield breaches
        failed = CounterMetricFamily("opsdesk_failed_tasks", "Failed Celery task runs", labels=["task"])
        for task_name, n in FailedTask.objects.values_list("task_name").annotate(n=Count("id")).order_by():
            failed.add_metric([task_name], n)
        yield failed


def collect(registry: CollectorRegistry) -> None:
    registry.register(OpsCollector())
