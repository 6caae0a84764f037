"""Time and peak memory to generate the monthly fault summary of one organisation with 20,000
incidents in the month (issue 5: target ≤ 10 s and ≤ 500 MB), on PostgreSQL.

Loads (once; idempotent) an organisation `bench-reports` into the database `opsdesk_bench_reports`
(created and migrated if missing): 300 CIs, N incidents in the report month and N in each of the
11 months before it (the trend), every incident with its response / on-site / restore / resolve SLA
clocks (about 80 % met in time), cause categories, restoration and resolution times, plus
satisfaction ratings. Bulk INSERT … SELECT from generate_series: no services, no events (the
report reads incidents, clocks and ratings only). Then generates the report the way the Celery task
does (reports.services.report_generate: SQL aggregation, the PDF with WeasyPrint, the Excel tables)
`--repeat` times and prints each run's time, the PDF's pages and size, the peak Python heap
(tracemalloc) and the process's peak resident memory (ru_maxrss).

    .venv/bin/python benchmarks/bench_report.py                      # 20,000 incidents, 2026-10
    .venv/bin/python benchmarks/bench_report.py --incidents 50000 --month 2026-09 --repeat 3
    .venv/bin/python benchmarks/bench_report.py --reseed             # drop the benchmark organisation's rows first
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
DB_NAME = os.environ.get("BENCH_DB", "opsdesk_bench_reports")
PG = os.environ.get("PG_URL", "postgres://postgres@127.0.0.1:5432")
os.environ["DATABASE_URL"] = f"{PG}/{DB_NAME}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.settings")
os.environ.setdefault("MEDIA_ROOT", "/tmp/opsdesk-bench-reports-media")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "0")


def ensure_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')
            print(f"created database {DB_NAME}")


ensure_database()

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

ORG_CODE = "bench-reports"
CAUSES = ["hardware", "software", "network", "power", "environment", "configuration", "operation", "external",
          "security", "unknown"]


def sql(statement: str, params: list | tuple = ()) -> int:
    with connection.cursor() as cur:
        cur.execute(statement, params)
        return cur.rowcount


def seed(*, month_text: str, per_month: int, months: int) -> None:
    from accounts.choices import Role
    from accounts.models import Organization, User
    from cmdb.models import CI, CIClass
    from incidents.models import Incident
    from reports.periods import period_parse

    org, _ = Organization.objects.get_or_create(code=ORG_CODE, defaults={"name": "基准测试单位 Bench"})
    User.objects.get_or_create(username="bench_manager", defaults={"role": Role.MANAGER, "name": "Bench Manager"})
    klass, _ = CIClass.objects.get_or_create(code="bench-camera", defaults={"name": "摄像机"})
    have = CI.objects.filter(organization=org).count()
    CI.objects.bulk_create([CI(organization=org, ci_class=klass, name=f"bench-cam-{i:03d}", location=f"Site {i % 17}")
                            for i in range(have, 300)])
    ci_ids = list(CI.objects.filter(organization=org).order_by("id").values_list("id", flat=True))
    period = period_parse(month_text)
    for step in range(months - 1, -1, -1):
        p = period.previous(step) if step else period
        exists = Incident.objects.filter(organization=org, reported_at__gte=p.start, reported_at__lt=p.end).count()
        if exists >= per_month:
            continue
        t0 = time.perf_counter()
        with transaction.atomic():
            seconds = int((p.end - p.start).total_seconds())
            sql("""
                INSERT INTO incidents_incident (number, title, description, channel, reported_at, responded_at,
                    onsite_at, restored_at, resolved_at, closed_at, created_at, updated_at, version, audit_seq,
                    audit_head, status, fault_level, impact, urgency, level_reason, workaround, cause_category,
                    resolution, cancel_reason, reopen_count, escalation_level, organization_id, ci_id,
                    respond_due, onsite_due, restore_due, resolve_due)
                SELECT 'BRP-' || %(tag)s || '-' || lpad(g::text, 6, '0'), 'Bench fault ' || g, '',
                       (ARRAY['phone','portal','email','monitoring','inspection'])[1 + g %% 5],
                       t, t + interval '10 minutes', t + interval '50 minutes',
                       CASE WHEN g %% 10 < 9 THEN t + (g %% 7 + 1) * interval '1 hour' END,
                       CASE WHEN g %% 10 < 9 THEN t + (g %% 7 + 2) * interval '1 hour' END,
                       NULL, t, t, 1, 0, '',
                       CASE WHEN g %% 10 < 9 THEN 'resolved' WHEN g %% 50 = 9 THEN 'cancelled' ELSE 'in_progress' END,
                       (ARRAY['I','II','III','IV'])[1 + (g * 7) %% 4], 'low', 'low', '',
                       CASE WHEN g %% 10 < 9 THEN 'restored by swapping the part' ELSE '' END,
                       CASE WHEN g %% 10 < 9 THEN (%(causes)s::text[])[1 + (g * 3) %% 10] ELSE '' END,
                       CASE WHEN g %% 10 < 9 THEN 'replaced the faulty unit ' || g %% 13 ELSE '' END,
                       '', 0, 0, %(org)s, (%(cis)s::bigint[])[1 + (g * 11) %% %(ncis)s],
                       t + interval '30 minutes', t + interval '2 hours', t + interval '6 hours',
                       t + interval '24 hours'
                FROM (SELECT g, %(start)s::timestamptz + ((g::bigint * 7919) %% %(span)s) * interval '1 second' AS t
                      FROM generate_series(1, %(n)s) AS g) s
            """, {"tag": p.text, "causes": CAUSES, "org": org.pk, "cis": ci_ids, "ncis": len(ci_ids),
                  "start": p.start, "span": seconds, "n": per_month - exists})
            for target, due, met in (("respond", "respond_due", "responded_at"), ("onsite", "onsite_due", "onsite_at"),
                                     ("restore", "restore_due", "restored_at"),
                                     ("resolve", "resolve_due", "resolved_at")):
                sql(f"""
                    INSERT INTO tickets_slaclock (ticket_kind, ticket_id, organization_id, target, clock, state,
                        started_at, due_at, warnings, warned_pct, next_check_at, paused_at, met_at, breached_at,
                        escalations)
                    SELECT 'incident', i.id, i.organization_id, %s, '24x7',
                           CASE WHEN i.{met} IS NULL THEN 'breached' ELSE 'met' END, i.reported_at, i.{due},
                           '[]'::jsonb, 0, NULL, NULL, i.{met},
                           CASE WHEN i.{met} IS NULL OR i.{met} > i.{due} THEN i.{due} END, 0
                    FROM incidents_incident i
                    WHERE i.organization_id = %s AND i.reported_at >= %s AND i.reported_at < %s
                    ON CONFLICT DO NOTHING""", [target, org.pk, p.start, p.end])
            sql("""
                INSERT INTO quality_satisfactionrating (ticket_kind, ticket_id, ticket_number, organization_id,
                    stars, comment, source, created_at)
                SELECT 'incident', i.id, i.number, i.organization_id, 1 + (i.id / 10) %% 5, '', 'portal',
                       i.resolved_at + interval '1 day'
                FROM incidents_incident i
                WHERE i.organization_id = %s AND i.reported_at >= %s AND i.reported_at < %s AND i.id %% 10 = 0
                      AND i.resolved_at IS NOT NULL AND i.resolved_at + interval '1 day' < %s
                ON CONFLICT DO NOTHING""", [org.pk, p.start, p.end, p.end])
        print(f"loaded {per_month - exists} incidents for {p.text} in {time.perf_counter() - t0:.1f} s")
    sql("ANALYZE incidents_incident")
    sql("ANALYZE tickets_slaclock")


def reseed() -> None:
    with transaction.atomic():
        sql("""DELETE FROM quality_satisfactionrating WHERE organization_id IN
               (SELECT id FROM accounts_organization WHERE code = %s)""", [ORG_CODE])
        sql("""DELETE FROM tickets_slaclock WHERE ticket_kind = 'incident' AND organization_id IN
               (SELECT id FROM accounts_organization WHERE code = %s)""", [ORG_CODE])
        sql("""DELETE FROM reports_reportrun WHERE organization_id IN
               (SELECT id FROM accounts_organization WHERE code = %s)""", [ORG_CODE])
        sql("""DELETE FROM incidents_incident WHERE organization_id IN
               (SELECT id FROM accounts_organization WHERE code = %s)""", [ORG_CODE])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=20_000, help="incidents in the report month (and each "
                                                                       "of the trend months)")
    parser.add_argument("--month", default="2026-10")
    parser.add_argument("--trend-months", type=int, default=12, help="months loaded, the report month included")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--language", default="zh-hans")
    parser.add_argument("--reseed", action="store_true")
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    if args.reseed:
        reseed()
    seed(month_text=args.month, per_month=args.incidents, months=args.trend_months)

    from accounts.models import Organization, User
    from incidents.models import Incident
    from reports.periods import period_parse
    from reports.services import report_generate, report_request

    org = Organization.objects.get(code=ORG_CODE)
    p = period_parse(args.month)
    in_month = Incident.objects.filter(organization=org, reported_at__gte=p.start, reported_at__lt=p.end).count()
    total = Incident.objects.filter(organization=org).count()
    print(f"organisation {org.name}: {in_month} incidents in {p.text}, {total} in all; "
          f"load average {os.getloadavg()[0]:.2f}")
    manager = User.objects.get(username="bench_manager")
    for i in range(args.repeat + 1):
        traced = i == args.repeat  # the last run measures the Python heap (tracemalloc slows it: not timed)
        with transaction.atomic():
            run = report_request(actor=manager, kind="monthly_fault_summary", period=p.text, organization=org,
                                 options={}, language=args.language, now=timezone.now())
        if traced:
            tracemalloc.start()
        t0 = time.perf_counter()
        run = report_generate(run_id=run.pk, now=timezone.now())
        elapsed = time.perf_counter() - t0
        assert run is not None and run.status == "done", run.error if run else "no run"
        maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        if traced:
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(f"memory run: peak Python heap {peak / 2**20:.1f} MiB (tracemalloc), process peak RSS "
                  f"{maxrss_mb:.0f} MiB (ru_maxrss; target ≤ 500 MB)")
        else:
            print(f"run {i + 1}: {elapsed:.2f} s (target ≤ 10 s), {run.pages} pages, PDF {run.size / 1024:.0f} KiB, "
                  f"process peak RSS so far {maxrss_mb:.0f} MiB; load average {os.getloadavg()[0]:.2f}")
    print(f"figures: {run_faults(run)}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


def run_faults(run) -> str:  # type: ignore[no-untyped-def]
    from django.utils.timezone import now

    from reports.services import report_build

    t0 = time.perf_counter()
    _kind, ctx = report_build(run, now=now())
    return f"{ctx['figures']['faults']} faults counted; the SQL aggregation alone takes {time.perf_counter() - t0:.2f} s"


if __name__ == "__main__":
    main()
