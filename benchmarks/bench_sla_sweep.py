"""Cost of one SLA sweep on PostgreSQL with 1,000,000 incidents (seed_bulk), 100,000 of them open.

Creates SLA clocks for every open incident with one bulk INSERT … SELECT (respond, on-site,
restore, resolve: ~400,000 clock rows), makes a given share of the open incidents due now (half
warnings, half breaches, which also escalate), runs `incidents.sla.sla_sweep` once and prints its
time, then repeats with another share to show the cost follows the number due, not the table size.
The observation auto-close is switched off here (never run it on the shared benchmark database:
it would really close the observing incidents). The notifications the sweep queues are counted,
not sent (in production a chunk's notifications are one Celery message published after commit).
After every run, even a failed one, it removes the sweep's events and restores the touched
incidents' chain heads, escalation levels and next deadlines from a snapshot, and checks that they
match; at the end it deletes the clocks it created. It refuses to run when the database already
has incident clocks of its own (the sweep would act on them for real) unless --drop-existing.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/opsdesk_bench \
        .venv/bin/python benchmarks/bench_sla_sweep.py --due 0.001 0.01
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/opsdesk_bench")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

import incidents.sla.sweep as engine  # noqa: E402
from tickets.models import SLAClock, TicketEvent  # noqa: E402

OPEN = ("new", "assigned", "in_progress", "pending", "resolved", "observing")
TARGETS = (("respond", "respond_due"), ("onsite", "onsite_due"), ("restore", "restore_due"),
           ("resolve", "resolve_due"))


def sql(statement: str, params: list | tuple = ()) -> int:
    with connection.cursor() as cur:
        cur.execute(statement, params)
        return cur.rowcount


def scalar(statement: str, params: list | tuple = ()):
    with connection.cursor() as cur:
        cur.execute(statement, params)
        return cur.fetchone()[0]


def create_clocks(now) -> int:
    """Every open incident gets its four clocks, all due far in the future (not due)."""
    total = 0
    for target, column in TARGETS:
        total += sql(f"""
            INSERT INTO tickets_slaclock (ticket_kind, ticket_id, organization_id, target, clock, state, started_at,
                due_at, warnings, warned_pct, next_check_at, paused_at, met_at, breached_at, escalations)
            SELECT 'incident', id, organization_id, %s, '24x7', 'running', reported_at,
                   %s::timestamptz + interval '30 days', '[]'::jsonb, 0,
                   %s::timestamptz + interval '29 days' + (id %% 1000) * interval '1 minute', NULL, NULL, NULL, 0
            FROM incidents_incident WHERE status = ANY(%s) AND {column} IS NOT NULL
            ON CONFLICT DO NOTHING""", [target, now, now, list(OPEN)])
    sql("ANALYZE tickets_slaclock")
    return total


def make_due(now, share: float) -> tuple[int, list[int]]:
    """`share` of the open incidents get a restore clock that needs attention now: even ids a 50%
    warning (due in an hour), odd ids a breach (due a minute ago)."""
    open_count = scalar("SELECT count(*) FROM incidents_incident WHERE status = ANY(%s)", [list(OPEN)])
    n = int(open_count * share)
    ids = [r for (r,) in _rows("""SELECT c.ticket_id FROM tickets_slaclock c WHERE c.ticket_kind = 'incident'
        AND c.target = 'restore' ORDER BY md5(c.ticket_id::text) LIMIT %s""", [n])]
    warn_at = now - timezone.timedelta(minutes=1)
    sql("""UPDATE tickets_slaclock SET
             due_at = CASE WHEN ticket_id %% 2 = 0 THEN %s::timestamptz + interval '1 hour' ELSE %s END,
             warnings = CASE WHEN ticket_id %% 2 = 0
                THEN jsonb_build_array(jsonb_build_object('pct', 50, 'at', to_char(%s::timestamptz AT TIME ZONE 'UTC',
                     'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')))
                ELSE '[]'::jsonb END,
             next_check_at = %s
           WHERE ticket_kind = 'incident' AND target = 'restore' AND ticket_id = ANY(%s)""",
        [now, warn_at, warn_at, warn_at, ids])
    return n, ids


def _rows(statement: str, params: list | tuple = ()):
    with connection.cursor() as cur:
        cur.execute(statement, params)
        return cur.fetchall()


def snapshot(ids: list[int]) -> None:
    sql("DROP TABLE IF EXISTS bench_sla_snapshot")
    sql("""CREATE TEMP TABLE bench_sla_snapshot AS SELECT id, audit_seq, audit_head, escalation_level, sla_next_due
           FROM incidents_incident WHERE id = ANY(%s)""", [ids])


def reset(ids: list[int], first_event_id: int, now) -> None:
    """Undo the sweep: its events go, the incidents get their chain head and escalation back."""
    TicketEvent.objects.filter(pk__gt=first_event_id, ticket_kind="incident", ticket_id__in=ids).delete()
    sql("""UPDATE incidents_incident i SET audit_seq = s.audit_seq, audit_head = s.audit_head,
             escalation_level = s.escalation_level, sla_next_due = s.sla_next_due
           FROM bench_sla_snapshot s WHERE s.id = i.id""")
    sql("""UPDATE tickets_slaclock SET state = 'running', warned_pct = 0, breached_at = NULL, escalations = 0,
             due_at = %s::timestamptz + interval '30 days', warnings = '[]'::jsonb,
             next_check_at = %s::timestamptz + interval '29 days'
           WHERE ticket_kind = 'incident' AND target = 'restore' AND ticket_id = ANY(%s)""", [now, now, ids])


def check_restored(ids: list[int], first_event_id: int) -> None:
    """The touched incidents are exactly as before the run (the HTTP benchmark uses them later)."""
    changed = scalar("""SELECT count(*) FROM incidents_incident i JOIN bench_sla_snapshot s ON s.id = i.id
        WHERE (i.audit_seq, i.audit_head, i.escalation_level, i.sla_next_due)
              IS DISTINCT FROM (s.audit_seq, s.audit_head, s.escalation_level, s.sla_next_due)""")
    left = TicketEvent.objects.filter(pk__gt=first_event_id).count()  # any ticket: the sweep touched no others
    if changed or left:
        raise SystemExit(f"NOT RESTORED: {changed} incidents differ from the snapshot, {left} sweep events left")


def explain_selection(now) -> str:
    qs = SLAClock.objects.filter(next_check_at__lte=now, ticket_kind="incident").order_by("next_check_at", "id")
    return qs.values("id")[:1000].explain(analyze=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--due", nargs="+", type=float, default=[0.001, 0.01], help="shares of open incidents due")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--chunk", type=int, default=200, help="clocks per sweep transaction")
    parser.add_argument("--keep", action="store_true", help="keep the clocks afterwards")
    parser.add_argument("--drop-existing", action="store_true", help="delete incident clocks found at the start")
    args = parser.parse_args()

    queued: list[dict] = []
    engine._queue_notifications = queued.extend  # count, don't publish (no broker needed)
    # Only the clocks are measured: the bench's observing incidents ended their observation long
    # ago, and the auto-close would really close them (it is measured by the tests, not here).
    engine._auto_close = lambda **kwargs: None

    now = timezone.now()
    total = scalar("SELECT count(*) FROM incidents_incident")
    open_count = scalar("SELECT count(*) FROM incidents_incident WHERE status = ANY(%s)", [list(OPEN)])
    existing = SLAClock.objects.filter(ticket_kind="incident")
    if existing.exists():
        if not args.drop_existing:
            raise SystemExit(f"{existing.count():,} incident clocks exist already; the sweep would act on them "
                             "for real. Re-run with --drop-existing to delete them first.")
        existing.delete()
    first_clock = SLAClock.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    t0 = time.perf_counter()
    clocks = create_clocks(now)
    print(f"incidents: {total:,}  open: {open_count:,}  clocks created: {clocks:,} in {time.perf_counter() - t0:.1f} s")
    first_event = TicketEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    try:
        for share in args.due:
            for run in range(args.repeat):
                n, ids = make_due(now, share)
                snapshot(ids)
                queued.clear()
                try:
                    t = time.perf_counter()
                    summary = engine.sla_sweep(now=now, batch=max(1000, n), chunk=args.chunk, close_batch=0)
                    elapsed = time.perf_counter() - t
                finally:
                    reset(ids, first_event, now)
                    check_restored(ids, first_event)
                print(f"due {share:.1%} = {n:>5} clocks  run {run + 1}: sweep {elapsed * 1000:7.1f} ms  "
                      f"({elapsed / max(n, 1) * 1000:.2f} ms/clock)  {summary.as_dict()}  notifications queued: "
                      f"{len(queued)}")
        t = time.perf_counter()
        empty = engine.sla_sweep(now=now, close_batch=0)
        print(f"nothing due: sweep {(time.perf_counter() - t) * 1000:.1f} ms  {empty.as_dict()}")
        print("selection query plan:\n" + explain_selection(now))
        print("incidents restored after every run: yes")
    finally:
        if not args.keep:
            SLAClock.objects.filter(ticket_kind="incident", pk__gt=first_clock).delete()


if __name__ == "__main__":
    main()
