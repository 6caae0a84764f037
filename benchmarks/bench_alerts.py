"""Monitoring intake throughput (PostgreSQL): alerts/s with deduplication and the SQL queries one
alert costs, through the real endpoint (Django's test client: URL routing, auth, parsing, the
inbound log — no network), and a storm of 10,000 alerts for one failing switch.

    .venv/bin/python benchmarks/bench_alerts.py            # DATABASE_URL defaults to opsdesk_bench_alerts
    .venv/bin/python benchmarks/bench_alerts.py --batch 100 --alerts 2000 --rounds 5
    .venv/bin/python benchmarks/bench_alerts.py --http 3000 --workers 3 --threads 4 --concurrency 24

`--http N`: instead, N single-alert requests (the Zabbix/Nagios shape: one alert per request) over
real HTTP against gunicorn started by the script (DEBUG off, --workers × --threads), keep-alive
connections from --concurrency client threads; once with the source in sync mode (the full intake
in the request) and once in queued mode (one insert + 202), then the inbox processor's own rate
(alerts turned into incidents/repeats per second) and the end-to-end figure.

The database is created and migrated when missing; the script's own rows are removed first.
Figures, not assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/opsdesk_bench_alerts")


def _database_ensure() -> None:
    import psycopg

    url = os.environ["DATABASE_URL"]
    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


_database_ensure()

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.models import Organization  # noqa: E402
from cmdb.models import CI, CIClass, CIRelation  # noqa: E402
from incidents.models import Incident  # noqa: E402
from monitoring.models import AlertRecord, AlertSource  # noqa: E402
from monitoring.services import alert_source_create  # noqa: E402

TOKEN = "bench-alerts-token-0123456789"
ORG = "bench-alerts"


def _alert(host: str, n: int, status: str = "firing") -> dict[str, Any]:
    return {"status": status, "labels": {"alertname": "DeviceDown", "host": host, "severity": "critical"},
            "annotations": {"summary": f"{host} down"}, "startsAt": "2026-12-06T10:00:00+08:00",
            "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prometheus/graph",
            "fingerprint": f"bench-{host}-{n}"}


def _payload(alerts: list[dict[str, Any]]) -> bytes:
    return json.dumps({"version": "4", "groupKey": "{}:{}", "truncatedAlerts": 0, "status": "firing",
                       "receiver": "opsdesk", "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {},
                       "externalURL": "http://alertmanager:9093", "alerts": alerts}).encode()


def _setup(cameras: int) -> tuple[AlertSource, CI, list[CI]]:
    call_command("migrate", verbosity=0, skip_checks=True)
    org, _ = Organization.objects.get_or_create(code=ORG, defaults={"name": "Bench alerts"})
    for old in AlertSource.objects.filter(name__startswith="bench"):  # earlier runs' sources give up the token
        AlertSource.objects.filter(pk=old.pk).update(is_active=False, secret_hash=models_random())
    source, _ = alert_source_create(name=f"bench {time.time():.0f}", kind="alertmanager", organization=org,
                                    secret=TOKEN, max_incidents_per_minute=100000)
    switch_class, _ = CIClass.objects.get_or_create(code="switch", defaults={"name": "Switch"})
    camera_class, _ = CIClass.objects.get_or_create(code="camera", defaults={"name": "Camera"})
    switch = CI.objects.filter(organization=org, name="bench-switch").first()
    if switch is None:
        switch = CI.objects.create(organization=org, name="bench-switch", ci_class=switch_class)
    have = CI.objects.filter(organization=org, ci_class=camera_class).count()
    if have < cameras:
        made = CI.objects.bulk_create([CI(organization=org, name=f"bench-cam-{n:05d}", ci_class=camera_class)
                                       for n in range(have, cameras)], batch_size=2000)
        from django.utils import timezone
        now = timezone.now()
        CIRelation.objects.bulk_create([CIRelation(source=c, target=switch, type="connects_to", dependant=c,
                                                   dependency=switch, created_at=now) for c in made], batch_size=2000)
    return source, switch, list(CI.objects.filter(organization=org, ci_class=camera_class).order_by("name")[:cameras])


def models_random() -> str:
    import secrets
    return secrets.token_hex(32)


def _send(client: Client, alerts: list[dict[str, Any]]) -> None:
    response = client.post("/api/v1/integrations/alertmanager/", data=_payload(alerts), content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content[:300]


def _measure(client: Client, batches: list[list[dict[str, Any]]]) -> tuple[float, float, int]:
    n = sum(len(b) for b in batches)
    queries = [0]

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        queries[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        start = time.perf_counter()
        for batch in batches:
            _send(client, batch)
        elapsed = time.perf_counter() - start
    return n / elapsed, queries[0] / n, n


def _http_run(port: int, bodies: list[bytes], concurrency: int, path: str = "/api/v1/integrations/events/",
              token: str = "") -> tuple[float, dict[int, int]]:
    """Send `bodies` (one alert each) over keep-alive connections from `concurrency` threads."""
    import http.client
    import threading
    from collections import Counter

    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    work = list(enumerate(bodies))
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}

    def worker(share: list[tuple[int, bytes]]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        local: Counter[int] = Counter()
        for _n, body in share:
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                local[response.status] += 1
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            except (OSError, http.client.HTTPException):
                local[0] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.close()
        with lock:
            statuses.update(local)

    threads = [threading.Thread(target=worker, args=(work[i::concurrency],)) for i in range(concurrency)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(bodies) / (time.perf_counter() - start), dict(statuses)


def http_single_alerts(args: Any) -> None:
    """One alert per request over HTTP against gunicorn: sync mode vs the queued (lean) path."""
    import subprocess
    import urllib.request

    from django.conf import settings
    from django.db import close_old_connections

    from monitoring.choices import IngestMode
    from monitoring.inbox import inbox_backlog, inbox_process

    token = "bench-events-token-0123456789"
    call_command("migrate", verbosity=0, skip_checks=True)
    org = Organization.objects.get_or_create(code=ORG, defaults={"name": "Bench alerts"})[0]
    for old in AlertSource.objects.filter(name__startswith="bench-events"):
        AlertSource.objects.filter(pk=old.pk).update(is_active=False, secret_hash=models_random())
    source, _ = alert_source_create(name=f"bench-events {time.time():.0f}", kind="events", organization=org,
                                    secret=token, max_incidents_per_minute=100000)
    env = {**os.environ, "LOG_LEVEL": "ERROR", "MONITORING_AUTH_CACHE_SECONDS": "2"}
    env.pop("DEBUG", None)
    if args.broker:  # the receivers' kicks go to a queue of this run, consumed by the worker started below
        import uuid

        env.update(CELERY_BROKER_URL=args.broker, CELERY_TASK_DEFAULT_QUEUE=f"bench-alerts-{uuid.uuid4().hex[:8]}",
                   CELERY_TASK_ALWAYS_EAGER="0")
    cmd = [str(Path(sys.executable).parent / "gunicorn"), "opsdesk.wsgi", "-w", str(args.workers), "--threads",
           str(args.threads), "-k", "gthread", "-b", f"127.0.0.1:{args.port}", "--log-level", "warning",
           "--keep-alive", "30", "--backlog", "2048"]
    server = subprocess.Popen(cmd, env=env, cwd=str(Path(__file__).resolve().parents[1]))
    try:
        for _n in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{args.port}/api/v1/integrations/events/", timeout=2)
            except urllib.error.HTTPError:
                break
            except OSError:
                time.sleep(0.2)
        run = f"{time.time():.0f}"
        print(f"inbox insert: synchronous_commit "
              f"{'off (MONITORING_INBOX_ASYNC_COMMIT)' if settings.MONITORING_INBOX_ASYNC_COMMIT else 'on'}")
        with open("/proc/loadavg") as fh:
            print(f"load average before: {' '.join(fh.read().split()[:3])} on {os.cpu_count()} CPUs; gunicorn "
                  f"{args.workers} workers × {args.threads} threads (gthread), {args.concurrency} client threads")
        def bodies(state: str, prefix: str) -> list[bytes]:
            # The check output varies (as a real one does), so every request is its own inbox item.
            # Each mode has its own hosts: the processor opens the queued run's incidents itself.
            hosts = [f"{prefix}-{run}-{n}" for n in range(args.distinct)]
            return [json.dumps({"host": hosts[n % len(hosts)], "service": "ping", "state": state,
                                "severity": "warning", "output": f"rtt {n % 97} ms"}).encode()
                    for n in range(args.http)]

        for mode in (IngestMode.SYNC, IngestMode.QUEUED):
            AlertSource.objects.filter(pk=source.pk).update(ingest_mode=mode)
            time.sleep(2.5)  # the receivers' auth cache (2 s here) expires: they see the mode
            before = Incident.objects.count()
            rate, statuses = _http_run(args.port, bodies("CRITICAL", f"ev-{mode}"), args.concurrency, token=token)
            print(f"single-alert requests, {mode} mode: {args.http} requests ({args.distinct} distinct alerts, "
                  f"the rest repeats): {rate:,.0f} requests/s, statuses {statuses}; "
                  f"incidents opened in the request {Incident.objects.count() - before}")
            if mode == IngestMode.QUEUED:
                backlog = inbox_backlog()
                start = time.perf_counter()
                totals = inbox_process()
                elapsed = time.perf_counter() - start
                close_old_connections()
                print(f"inbox processor: {backlog} queued requests in {elapsed:.1f} s = {backlog / elapsed:,.0f} "
                      f"alerts/s ({totals}); incidents opened {Incident.objects.count() - before}")
        # End to end: requests and the processor at the same time (the processor in this process).
        import threading

        AlertSource.objects.filter(pk=source.pk).update(ingest_mode=IngestMode.QUEUED)
        done = threading.Event()

        def drain() -> None:
            while not done.is_set():
                inbox_process()
                time.sleep(0.05)
            inbox_process()
            from django.db import connection as conn

            conn.close()

        start = time.perf_counter()
        drainer = threading.Thread(target=drain)
        drainer.start()
        rate, statuses = _http_run(args.port, bodies("CRITICAL", "ev-e2e"), args.concurrency, token=token)
        done.set()
        drainer.join()
        elapsed = time.perf_counter() - start
        print(f"end to end (queued, processor running alongside): {args.http} alerts received at {rate:,.0f}/s and "
              f"all processed after {elapsed:.1f} s = {args.http / elapsed:,.0f} alerts/s; backlog {inbox_backlog()}")
        if args.broker:
            # End to end through a real Celery worker process (solo pool), driven only by the receivers' kicks.
            log = open("/tmp/bench_alerts_worker.log", "w")  # noqa: SIM115 - closed below
            worker = subprocess.Popen([str(Path(sys.executable).parent / "celery"), "-A", "opsdesk", "worker",
                                       "--pool", "solo", "--loglevel", "WARNING", "--without-heartbeat",
                                       "--without-gossip", "--without-mingle"], env=env, stdout=log,
                                      stderr=subprocess.STDOUT, cwd=str(Path(__file__).resolve().parents[1]))
            try:
                time.sleep(8)  # the worker connects and drains the kicks of the runs above (nothing queued)
                before = Incident.objects.count()
                start = time.perf_counter()
                rate, statuses = _http_run(args.port, bodies("CRITICAL", "ev-worker"), args.concurrency, token=token)
                received = time.perf_counter() - start
                while inbox_backlog() and time.perf_counter() - start < 600:
                    time.sleep(0.1)
                elapsed = time.perf_counter() - start
                print(f"end to end (queued, a real Celery worker, kicks only): {args.http} alerts received at "
                      f"{rate:,.0f}/s ({received:.1f} s), all processed after {elapsed:.1f} s = "
                      f"{args.http / elapsed:,.0f} alerts/s; incidents opened {Incident.objects.count() - before}; "
                      f"backlog {inbox_backlog()}")
            finally:
                worker.terminate()
                worker.wait(timeout=30)
                log.close()
        with open("/proc/loadavg") as fh:
            print(f"load average after: {' '.join(fh.read().split()[:3])}")
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--http", type=int, default=0, help="single-alert HTTP requests against gunicorn (see above)")
    parser.add_argument("--distinct", type=int, default=200, help="distinct alerts among the --http requests")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers for --http")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker for --http")
    parser.add_argument("--concurrency", type=int, default=24, help="client threads for --http")
    parser.add_argument("--port", type=int, default=8093, help="gunicorn port for --http")
    parser.add_argument("--broker", default="", help="with --http: a Celery broker (e.g. redis://127.0.0.1:6379/13) "
                        "for an extra end-to-end run through a real worker driven by the receivers' kicks")
    parser.add_argument("--alerts", type=int, default=2000, help="distinct alerts for the dedup run")
    parser.add_argument("--batch", type=int, default=100, help="alerts per webhook request (Alertmanager's group)")
    parser.add_argument("--rounds", type=int, default=5, help="times the whole set is re-sent")
    parser.add_argument("--storm", type=int, default=10000, help="alerts in the switch storm")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    if args.http:
        http_single_alerts(args)
        return
    source, switch, cameras = _setup(args.storm - 1)
    client = Client()
    run = f"{time.time():.0f}"
    hosts = [f"host-{run}-{n}" for n in range(args.alerts)]  # no CI: plain incidents
    alerts = [_alert(h, 0) for h in hosts]
    batches = [alerts[i:i + args.batch] for i in range(0, len(alerts), args.batch)]

    before = Incident.objects.count()
    rate, per_alert, n = _measure(client, batches)
    print(f"new alerts (each opens an incident): {n} in batches of {args.batch}: {rate:,.0f} alerts/s, "
          f"{per_alert:.1f} queries/alert; incidents opened {Incident.objects.count() - before}")

    rate, per_alert, n = _measure(client, batches * args.rounds)
    print(f"repeats (dedup, batches of {args.batch}): {n} alerts: {rate:,.0f} alerts/s, {per_alert:.2f} queries/alert; "
          f"incidents opened {Incident.objects.count() - before - args.alerts}")

    singles = [[a] for a in alerts[:1000]]
    rate, per_alert, n = _measure(client, singles)
    print(f"repeats one alert per request (Zabbix/Nagios shape): {n} requests: {rate:,.0f} alerts/s, "
          f"{per_alert:.1f} queries/request")

    # The storm: the switch and every camera behind it fail; Alertmanager groups them by 500.
    storm = [_alert("bench-switch", int(run))] + [_alert(c.name, int(run)) for c in cameras]
    storm = storm[::-1]  # the switch last: correlation must not depend on arrival order within a run
    before = Incident.objects.count()
    last_before = Incident.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    groups = [storm[i:i + 500] for i in range(0, len(storm), 500)]
    rate, per_alert, n = _measure(client, groups)
    opened = Incident.objects.count() - before
    cancelled = Incident.objects.filter(status="cancelled", reported_at__gte=source.created_at - timedelta(days=1),
                                        pk__gt=last_before).count()
    on_switch = AlertRecord.objects.filter(source=source, incident__ci=switch, fingerprint__endswith=f"-{run}").count()
    live = Incident.objects.filter(channel="monitoring", ci=switch).exclude(status="cancelled").count()
    print(f"storm: {n} alerts for one failing switch (+{len(cameras)} cameras) in {len(groups)} requests: "
          f"{rate:,.0f} alerts/s, {per_alert:.1f} queries/alert; incidents opened {opened} "
          f"(cancelled as correlated {cancelled}); alerts on the switch's incident {on_switch}; "
          f"open incidents on the switch {live}")
    rate, per_alert, n = _measure(client, groups)
    print(f"storm re-sent (dedup): {n} alerts: {rate:,.0f} alerts/s, {per_alert:.2f} queries/alert; "
          f"incidents opened {Incident.objects.count() - before - opened}")


if __name__ == "__main__":
    main()
