#!/usr/bin/env python3
"""HTTP latency and throughput of the incident API, measured through a real server.

Starts nothing: point it at a running OpsDesk (benchmarks/run_http_bench.sh starts gunicorn on a
PostgreSQL database loaded with `seed_bulk`, then runs this). Standard library only; loopback only.

    python benchmarks/bench_http.py --base-url http://127.0.0.1:8011 --password opsdesk-demo-2026

Measures p50/p95/p99 and req/s for: the dispatcher queue, an engineer's "my work", an
organisation's closed incidents of one month, incident detail, and incident creation with N
concurrent clients.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


class Client:
    """One HTTP client (one thread): reuses its connection while the server keeps it open."""

    def __init__(self, base_url: str, token: str | None = None, timeout: float = 60.0) -> None:
        parts = urllib.parse.urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.prefix = parts.path.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        headers = {"Accept": "application/json", "Host": f"{self.host}:{self.port}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request(method, self.prefix + path, body=data, headers=headers)
                resp = self.conn.getresponse()
                raw = resp.read()
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
                continue
            if resp.will_close:
                self.conn.close()
                self.conn = None
            try:
                payload = json.loads(raw) if raw else None
            except ValueError:
                payload = raw[:200]
            return resp.status, payload
        raise RuntimeError("unreachable")


@dataclass
class Result:
    name: str
    concurrency: int
    latencies: list[float] = field(default_factory=list)
    errors: dict[int, int] = field(default_factory=dict)
    wall: float = 0.0

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
        return ordered[index] * 1000


def measure(name: str, *, requests: int, concurrency: int, make_client: Callable[[], Client],
            call: Callable[[Client, int], tuple[int, Any]], ok: tuple[int, ...] = (200,), warmup: int = 5) -> Result:
    result = Result(name=name, concurrency=concurrency)
    lock = threading.Lock()
    counter = iter(range(requests))
    ready = threading.Barrier(concurrency + 1)

    def worker() -> None:
        client = make_client()
        for i in range(warmup):
            call(client, -1 - i)
        ready.wait()
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            start = time.perf_counter()
            status, _body = call(client, i)
            elapsed = time.perf_counter() - start
            with lock:
                if status in ok:
                    result.latencies.append(elapsed)
                else:
                    result.errors[status] = result.errors.get(status, 0) + 1

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    ready.wait()  # every client has warmed up: start the clock
    start = time.perf_counter()
    for t in threads:
        t.join()
    result.wall = time.perf_counter() - start
    return result


def login(base_url: str, username: str, password: str) -> str:
    status, body = Client(base_url).request("POST", "/api/v1/auth/token/", {"username": username, "password": password})
    if status != 200 or not isinstance(body, dict) or "token" not in body:
        sys.exit(f"login as {username} failed: HTTP {status} {body}")
    return str(body["token"])


def default_month() -> str:
    today = date.today()
    year, month = today.year, today.month - 3
    while month < 1:
        year, month = year - 1, month + 12
    return f"{year:04d}-{month:02d}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", default="http://127.0.0.1:8011")
    parser.add_argument("--password", default="opsdesk-demo-2026")
    parser.add_argument("--dispatcher", default="bulk_dispatcher")
    parser.add_argument("--engineer", default="bulk_engineer_001", help="an engineer who has open work")
    parser.add_argument("--operator", default="bulk_operator", help="creates the incidents")
    parser.add_argument("--organization", type=int, default=0, help="default: the first bulk organisation")
    parser.add_argument("--month", default=default_month(), help="YYYY-MM for the organisation's list")
    parser.add_argument("--requests", type=int, default=300, help="requests per read endpoint")
    parser.add_argument("--concurrency", type=int, default=1, help="clients for the read endpoints")
    parser.add_argument("--creates", type=int, default=400, help="incidents to create")
    parser.add_argument("--create-threads", type=int, default=8)
    args = parser.parse_args()

    host = urllib.parse.urlsplit(args.base_url).hostname or ""
    if host not in LOOPBACK:
        sys.exit("This benchmark only runs against a loopback address.")
    if min(args.requests, args.creates) < 1 or args.requests > 100_000 or args.creates > 100_000:
        sys.exit("--requests and --creates: 1 … 100000.")

    tokens = {role: login(args.base_url, user, args.password)
              for role, user in (("dispatcher", args.dispatcher), ("engineer", args.engineer),
                                 ("operator", args.operator))}

    def as_(role: str) -> Callable[[], Client]:
        return lambda: Client(args.base_url, tokens[role])

    probe = as_("dispatcher")()
    org_id = args.organization
    if not org_id:
        status, body = probe.request("GET", "/api/v1/organizations/?page_size=200")
        orgs = body.get("results", []) if isinstance(body, dict) else []
        bulk = [o for o in orgs if str(o.get("code", "")).startswith("bulk-org-")]
        if status != 200 or not (bulk or orgs):
            sys.exit(f"cannot list organisations: HTTP {status}")
        org_id = int(min(bulk or orgs, key=lambda o: o.get("code", ""))["id"])
    list_path = f"/api/v1/incidents/?organization={org_id}&status=closed&month={args.month}"
    status, body = probe.request("GET", list_path + "&page_size=200")
    ids = [int(r["id"]) for r in (body.get("results", []) if isinstance(body, dict) else [])]
    status_q, body_q = probe.request("GET", "/api/v1/incidents/queue/")
    ids += [int(r["id"]) for r in (body_q.get("results", []) if isinstance(body_q, dict) else [])]
    if not ids:
        sys.exit(f"no incidents found for organisation {org_id} in {args.month} nor in the queue (HTTP {status})")
    status_m, body_m = as_("engineer")().request("GET", "/api/v1/incidents/mine/")
    mine = len(body_m.get("results", [])) if isinstance(body_m, dict) else 0

    print(f"OpsDesk HTTP benchmark  {time.strftime('%Y-%m-%d %H:%M:%S %z')}  base {args.base_url}")
    print(f"organisation {org_id}, month {args.month} ({len(ids)} detail ids), engineer {args.engineer} "
          f"has {mine}{'+' if mine >= 50 else ''} open incidents on the first page")
    print()

    n, c = args.requests, args.concurrency
    results = [
        measure("GET incidents/queue/ (dispatcher)", requests=n, concurrency=c, make_client=as_("dispatcher"),
                call=lambda cl, i: cl.request("GET", "/api/v1/incidents/queue/")),
        measure("GET incidents/mine/ (engineer)", requests=n, concurrency=c, make_client=as_("engineer"),
                call=lambda cl, i: cl.request("GET", "/api/v1/incidents/mine/")),
        measure("GET incidents/?organization&status=closed&month", requests=n, concurrency=c,
                make_client=as_("dispatcher"), call=lambda cl, i: cl.request("GET", list_path)),
        measure("GET incidents/{id}/", requests=n, concurrency=c, make_client=as_("dispatcher"),
                call=lambda cl, i: cl.request("GET", f"/api/v1/incidents/{ids[i % len(ids)]}/")),
        measure("POST incidents/", requests=args.creates, concurrency=args.create_threads,
                make_client=as_("operator"), ok=(201,), warmup=0,
                call=lambda cl, i: cl.request("POST", "/api/v1/incidents/", {
                    "organization": org_id, "title": f"基准测试报障 {i}", "description": "bench_http.py",
                    "impact": "medium", "urgency": "medium", "channel": "api"})),
    ]

    header = f"{'endpoint':<50} {'conc':>4} {'ok':>5} {'err':>4} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'req/s':>8}"
    print(header)
    print("-" * len(header))
    for r in results:
        rate = len(r.latencies) / r.wall if r.wall else 0.0
        errors = sum(r.errors.values())
        print(f"{r.name:<50} {r.concurrency:>4} {len(r.latencies):>5} {errors:>4} {r.pct(50):>8.1f} "
              f"{r.pct(95):>8.1f} {r.pct(99):>8.1f} {max(r.latencies, default=0) * 1000:>8.1f} {rate:>8.1f}")
        if r.errors:
            print(f"    errors by HTTP status: {r.errors}")
    print()
    print("Latencies are per request, client side (connect + request + response). "
          "req/s = successful requests / wall time with that many concurrent clients.")
    failed = any(r.errors for r in results)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
