"""OpsDesk against its floor, endpoint by endpoint, in CPU per request (issue 19).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/opsdesk_bench .venv/bin/python benchmarks/bench_speed.py
    ... --requests 100 --rounds 3 --redis redis://127.0.0.1:6379/9

Against a `seed_bulk` database (1,000,000 incidents; run_http_bench.sh seeds one and gives the rows
the benchmark reads their SLA clocks with bench_clocks.sql). One Python process serves both sides
through WSGI (no server, no client, no network in the figures):

* OpsDesk: `opsdesk.wsgi.application` with DEBUG off, called with a WSGI environ as a server would
  (the API with a token, the pages with a session cookie; middleware, auth, throttles, templates).
* The floor: a bare WSGI callable that runs *the same SQL* — every statement OpsDesk issued for that
  request, captured once with its parameters (auth and session reads included) — on the same
  PostgreSQL connection, as prepared statements (each planned once), and returns the rows as JSON. For the create it replays the INSERTs with a
  fresh number and id in one transaction.

* The rows floor (the API lists only): the issue's own floor, against which it set "≥ 1/5 of the
  floor's throughput". OpsDesk has PostgreSQL write a list page's JSON, so the same SQL includes that
  work; the rows floor runs instead the query the page statement wraps (the page's rows by their
  keyset query, every column) and writes the JSON in Python. Its ratio does not move with the
  machine's speed as the milliseconds do: both sides slow down together.

CPU per request = (this process's CPU time + the PostgreSQL backend's CPU from /proc/<pid>/stat)
/ requests, so it is immune to waiting for a loaded machine, not to a loaded machine's slower CPU
(caches, frequency): compare the ratios, and quote the load average printed with them. Rounds are
interleaved (OpsDesk, floor, OpsDesk, floor, ...) and the best round per side is reported.
Creations/s with 8 concurrent clients needs a real server: `benchmarks/run_http_bench.sh`.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GOALS = {  # issue 19: ms CPU per request, queries (None: no goal)
    "API queue": (6.0, None), "API mine": (6.0, None), "API list org/month": (6.0, None),
    "API detail": (6.0, None), "HTML incident page": (25.0, 6), "API create": (10.0, 6),
}
CLK_TCK = os.sysconf("SC_CLK_TCK")


def backend_cpu(pid: int) -> float:
    """utime + stime of a PostgreSQL backend in seconds (fields 14 and 15 of /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def machine_probe() -> float:
    """CPU ms of a fixed piece of Python (best of three): the same figure on a faster or slower machine
    moves with it, so runs on different days can be set side by side."""
    best = float("inf")
    for _ in range(3):
        start, total = time.process_time(), 0
        for i in range(1_000_000):
            total += i * i
        best = min(best, time.process_time() - start)
    return best * 1000


def environ(method: str, path: str, *, headers: dict[str, str], body: bytes = b"") -> dict[str, Any]:
    path_info, _, query = path.partition("?")
    env = {
        "REQUEST_METHOD": method, "PATH_INFO": path_info, "QUERY_STRING": query, "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "127.0.0.1",
        "wsgi.version": (1, 0), "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr,
        "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
        "CONTENT_LENGTH": str(len(body)), "CONTENT_TYPE": "application/json" if body else "",
    }
    for name, value in headers.items():
        env["HTTP_" + name.upper().replace("-", "_")] = value
    return env


def call(app: Callable[..., Any], env: dict[str, Any]) -> tuple[str, bytes]:
    status: list[str] = []
    chunks = app(env, lambda s, h, exc_info=None: status.append(s))
    try:
        body = b"".join(chunks)
    finally:
        if hasattr(chunks, "close"):
            chunks.close()
    return status[0], body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=60, help="requests per endpoint and side per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL", ""),
                        help="the shared cache (production's); default: the process-local cache")
    parser.add_argument("--only", default="", help="comma-separated endpoint names to run")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.settings")
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/opsdesk_bench")
    os.environ["DEBUG"] = ""
    os.environ.setdefault("API_THROTTLE_USER", "100000000/min")
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    os.environ["DB_CONN_MAX_AGE"] = "86400"  # one backend for the whole run (production: 60 s, persistent)
    if args.redis:
        os.environ["REDIS_URL"] = args.redis
    import django

    django.setup()
    import psycopg
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from rest_framework.authtoken.models import Token

    from accounts.models import User
    from incidents.models import Incident
    from opsdesk.wsgi import application

    assert not settings.DEBUG
    users = {role: User.objects.get(username=name) for role, name in (
        ("dispatcher", "bulk_dispatcher"), ("engineer", "bulk_engineer_001"), ("operator", "bulk_operator"))}
    tokens = {role: Token.objects.get_or_create(user=user)[0].key for role, user in users.items()}
    sessions = {}
    for role, user in users.items():
        client = Client()
        client.force_login(user)
        sessions[role] = client.cookies[settings.SESSION_COOKIE_NAME].value

    def api(role: str) -> dict[str, str]:
        return {"Authorization": f"Token {tokens[role]}", "Accept": "application/json"}

    def page(role: str) -> dict[str, str]:
        return {"Cookie": f"{settings.SESSION_COOKIE_NAME}={sessions[role]}", "Accept-Language": "zh-hans"}

    queue_ids = list(Incident.objects.filter(assignee__isnull=True, status__in=("new", "assigned"))
                     .order_by("-id").values_list("id", flat=True)[:50])
    org = Incident.objects.filter(id__in=queue_ids[:1]).values_list("organization_id", flat=True).first() or 1
    month = time.strftime("%Y-%m", time.gmtime(time.time() - 90 * 86400))
    detail_ids = [*queue_ids, *Incident.objects.filter(assignee=users["engineer"]).values_list("id", flat=True)[:50]]
    create_body = json.dumps({"organization": org, "title": "bench create", "impact": "medium",
                              "urgency": "medium", "description": "benchmark"}).encode()

    endpoints: list[tuple[str, str, str, Callable[[int], str], dict[str, str]]] = [
        ("API queue", "GET", "dispatcher", lambda i: "/api/v1/incidents/queue/", api("dispatcher")),
        ("HTML /queue/", "GET", "dispatcher", lambda i: "/queue/", page("dispatcher")),
        ("API mine", "GET", "engineer", lambda i: "/api/v1/incidents/mine/", api("engineer")),
        ("HTML /my-work/", "GET", "engineer", lambda i: "/my-work/", page("engineer")),
        ("API list org/month", "GET", "dispatcher",
         lambda i: f"/api/v1/incidents/?organization={org}&status=closed&month={month}", api("dispatcher")),
        ("API detail", "GET", "dispatcher", lambda i: f"/api/v1/incidents/{detail_ids[i % len(detail_ids)]}/",
         api("dispatcher")),
        ("HTML incident page", "GET", "dispatcher",
         lambda i: f"/incidents/{detail_ids[i % len(detail_ids)]}/", page("dispatcher")),
        ("API create", "POST", "operator", lambda i: "/api/v1/incidents/", api("operator")),
    ]
    if args.only:
        wanted = {w.strip() for w in args.only.split(",")}
        endpoints = [e for e in endpoints if e[0] in wanted]

    # --- capture the SQL of each endpoint (one request per detail id used) -------------------------
    captured: dict[tuple[str, int], list[tuple[str, Any]]] = {}

    def capturing(into: list[tuple[str, Any]]) -> Callable[..., Any]:
        def wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
            into.append((sql, params))
            return execute(sql, params, many, context)
        return wrapper

    def opsdesk_request(name: str, method: str, path: str, headers: dict[str, str]) -> tuple[str, bytes, int]:
        statements: list[tuple[str, Any]] = []
        with connection.execute_wrapper(capturing(statements)):
            status, body = call(application, environ(method, path, headers=headers,
                                                     body=create_body if method == "POST" else b""))
        return status, body, len([s for s in statements if not s[0].startswith(("SAVEPOINT", "RELEASE"))])

    cycle = len(detail_ids)
    query_counts: dict[str, int] = {}
    # One request per endpoint first, so the SQL captured (and replayed by the floor) is a warm
    # worker's: the per-process caches (API tokens, SLA configuration) filled, as in steady state.
    for _name, method, _role, path_of, headers in endpoints:
        call(application, environ(method, path_of(0), headers=headers,
                                  body=create_body if method == "POST" else b""))
    for name, method, _role, path_of, headers in endpoints:
        for i in range(cycle if "{" in path_of(0) or "detail" in name or "page" in name else 1):
            statements: list[tuple[str, Any]] = []
            with connection.execute_wrapper(capturing(statements)):
                status, body = call(application, environ(method, path_of(i), headers=headers,
                                                         body=create_body if method == "POST" else b""))
            if not status.startswith(("200", "201")):
                sys.exit(f"{name} {path_of(i)}: {status} {body[:300]!r}")
            captured[(name, i)] = [s for s in statements if not s[0].startswith(("SAVEPOINT", "RELEASE"))]
            query_counts[name] = len(captured[(name, i)])

    # The rows floor (the issue's own floor): for a list whose page PostgreSQL writes as JSON, the same
    # page's rows read by their own query (the keyset query the page statement wraps), with the JSON
    # written by the bare app in Python; other endpoints have none.
    rows_captured: dict[tuple[str, int], list[tuple[str, Any]]] = {}
    for key, statements in captured.items():
        unwrapped = [_page_rows_query(sql, params) for sql, params in statements]
        if any(u is not None for u in unwrapped):
            rows_captured[key] = [u or s for u, s in zip(unwrapped, statements, strict=True)]

    connection.ensure_connection()
    raw = connection.connection  # the psycopg connection both sides use
    backend_pid = raw.info.backend_pid

    def floor_app(env: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        """A bare WSGI app: the endpoint's SQL, rows out as JSON."""
        name, i = env["bench.key"]
        statements = (rows_captured if env.get("bench.rows") else captured)[(name, i)]
        out: list[Any] = []
        if env["REQUEST_METHOD"] == "POST":
            with raw.transaction(), raw.cursor() as cur:
                new_id: int | None = None
                number = ""
                old_id = _created_id(captured, name)
                for sql, params in statements:
                    if sql.startswith("SELECT nextval"):  # the number, and the id where it is taken with it
                        cur.execute(sql, params)
                        value, *taken = cur.fetchone()
                        number, new_id = f"INC-F{value}", (taken[0] if taken else None)
                        continue
                    if sql.startswith('INSERT INTO "incidents_incident"'):
                        params = [number if isinstance(p, str) and p.startswith("INC-") else p for p in params]
                        cur.execute(sql, _swap(params, old_id, new_id) if new_id is not None else params)
                        new_id = cur.fetchone()[0]
                        continue
                    if sql.startswith(("INSERT", "UPDATE")):
                        params = _swap(params, old_id, new_id)
                    cur.execute(sql, params)
                    if cur.description:
                        out.append(cur.fetchall())
        else:
            # Prepared statements (server-side binding): the least a server could spend on the same SQL,
            # planning each statement once per connection as OpsDesk does for its incident page.
            with psycopg.Cursor(raw) as cur:
                for sql, params in statements:
                    cur.execute(sql, params, prepare=True)
                    if cur.description:
                        out.append(cur.fetchall())
        body = json.dumps(out, default=str).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    def measure(side: str, name: str, method: str, path_of: Callable[[int], str], headers: dict[str, str],
                n: int) -> float:
        app = application if side == "opsdesk" else floor_app
        cpu0, pg0 = time.process_time(), backend_cpu(backend_pid)
        for i in range(n):
            key = i % cycle if (name, i % cycle) in captured else 0
            env = environ(method, path_of(key), headers=headers, body=create_body if method == "POST" else b"")
            env["bench.key"] = (name, key)
            env["bench.rows"] = side == "rows"
            status, _body = call(app, env)
            if not status.startswith(("200", "201")):
                sys.exit(f"{side} {name}: {status}")
        if connection.connection is not raw:
            sys.exit("the database connection was replaced during the run: CPU of its backend is unknown")
        return (time.process_time() - cpu0 + backend_cpu(backend_pid) - pg0) / n * 1000

    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    print(f"OpsDesk vs floor, CPU per request (Python + its PostgreSQL backend), {args.rounds} rounds × "
          f"{args.requests} requests, best round; load average {load}; "
          f"{Incident.objects.order_by('-id').values_list('id', flat=True).first():,} incidents (max id); "
          f"cache {'Redis' if args.redis else 'process-local'}; machine probe {machine_probe():.0f} ms")
    best: dict[tuple[str, str], float] = {}
    for _round in range(args.rounds):
        for name, method, _role, path_of, headers in endpoints:
            for side in ("opsdesk", "floor", "rows"):
                if side == "rows" and (name, 0) not in rows_captured:
                    continue
                ms = measure(side, name, method, path_of, headers, args.requests)
                best[(name, side)] = min(best.get((name, side), ms), ms)
    print(f"\n{'endpoint':<22}{'OpsDesk ms':>11}{'floor ms':>10}{'ratio':>8}{'rows floor':>12}{'ratio':>8}"
          f"{'queries':>9}   goal")
    print("-" * 100)
    for name, *_rest in endpoints:
        ops, floor = best[(name, "opsdesk")], best[(name, "floor")]
        rows = best.get((name, "rows"))
        goal_ms, goal_q = GOALS.get(name, (None, None))
        goal = ""
        if goal_ms is not None:
            met = ops <= goal_ms and (goal_q is None or query_counts[name] <= goal_q)
            goal = f"≤ {goal_ms:g} ms" + (f", ≤ {goal_q} q" if goal_q else "") + (" met" if met else " NOT met")
        if rows is not None and name in GOALS:
            goal += f"; ≥ 1/5 of the rows floor's throughput {'met' if ops <= 5 * rows else 'NOT met'}"
        rows_text = f"{rows:>12.2f}{ops / rows:>7.1f}×" if rows is not None else f"{'—':>12}{'':>8}"
        print(f"{name:<22}{ops:>11.2f}{floor:>10.2f}{ops / floor:>7.1f}×{rows_text}{query_counts[name]:>9}   {goal}")
    for html, api_name in (("HTML /queue/", "API queue"), ("HTML /my-work/", "API mine")):
        if (html, "opsdesk") in best and (api_name, "opsdesk") in best:
            ratio = best[(html, "opsdesk")] / best[(api_name, "opsdesk")]
            print(f"{html} / {api_name}: {ratio:.1f}× the API's CPU (goal ≤ 2×: {'met' if ratio <= 2 else 'NOT met'})")
    print(f"load average after: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}; "
          f"machine probe {machine_probe():.0f} ms")


PAGE_JOINS = ") r CROSS JOIN (SELECT %s::interval AS shift"  # incidents/api/listjson.py's page statement


def _page_rows_query(sql: str, params: Any) -> tuple[str, Any] | None:
    """The keyset query a list's page statement wraps (`SELECT ... FROM (<query>) r CROSS JOIN ...`)
    with its parameters, or None for any other statement."""
    if PAGE_JOINS not in sql or not sql.startswith("SELECT "):
        return None
    inner = sql[sql.index(" FROM (") + len(" FROM ("):sql.index(PAGE_JOINS)]
    return inner, list(params)[:inner.replace("%%", "").count("%s")]


def _swap(value: Any, old: Any, new: Any) -> Any:
    """`value` with `old` replaced by `new`, inside the arrays bulk_create sends (UNNEST) too."""
    if isinstance(value, list | tuple):
        return [_swap(v, old, new) for v in value]
    return new if old is not None and value == old else value


def _created_id(captured: dict[tuple[str, int], list[tuple[str, Any]]], name: str) -> int | None:
    """The id the captured create gave its incident (the first INSERT's RETURNING is not captured:
    it is the ticket_id of the captured event INSERT)."""
    for sql, params in captured[(name, 0)]:
        if sql.startswith('INSERT INTO "tickets_ticketevent"'):
            return int(params[1])
    return None


if __name__ == "__main__":
    main()
