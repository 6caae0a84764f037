"""`duty_on_now` latency and query count on a large roster (PostgreSQL): G support groups, each with
a day and a night rotation of 6 people, a duty lead, a standby rotation, holiday duty on a calendar
with 30 holidays and 5 dated overrides/swaps (some past, some current). Prints p50/p95 over N runs
for "every group" (the hotline panel) and "one group" (routing), and the queries per call. Figures,
not assertions; everything is rolled back.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/opsdesk_bench_duty \\
        .venv/bin/python benchmarks/bench_duty.py --groups 200 --runs 50
(the database must be migrated: `manage.py migrate --skip-checks`.)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date, timedelta
from datetime import time as dtime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/opsdesk_bench_duty")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import SupportGroup, User  # noqa: E402
from duty.models import DutyMember, DutyRule  # noqa: E402
from duty.selectors import duty_on_now  # noqa: E402
from tickets.models import CalendarDay, WorkCalendar  # noqa: E402


class Rollback(Exception):
    pass


def build(groups: int) -> list[SupportGroup]:
    now = timezone.now()
    cal = WorkCalendar.objects.create(code="bench-duty", name="bench")
    CalendarDay.objects.bulk_create([CalendarDay(calendar=cal, date=date(now.year, 1, 1) + timedelta(days=12 * i),
                                                 kind="holiday") for i in range(30)])
    users = User.objects.bulk_create([User(username=f"bench-duty-{i}", name=f"工程师{i}", role="engineer")
                                      for i in range(groups * 6)])
    made = SupportGroup.objects.bulk_create([SupportGroup(name=f"bench-duty-group-{g}", region=f"R{g % 10}")
                                             for g in range(groups)])
    members = []
    for g, group in enumerate(made):
        people = users[g * 6:(g + 1) * 6]
        start = now - timedelta(days=40)
        specs = [
            dict(role="primary", shift_length=timedelta(days=1), window_start=dtime(8, 30), window_end=dtime(18)),
            dict(role="primary", shift_length=timedelta(days=1), window_start=dtime(18), window_end=dtime(8, 30)),
            dict(role="lead", shift_length=None), dict(role="standby", shift_length=timedelta(days=7)),
            dict(role="primary", kind="holiday", calendar=cal, shift_length=timedelta(days=1)),
        ]
        for spec in specs:
            rule = DutyRule.objects.create(group=group, starts_at=start, **spec)
            members += [DutyMember(rule=rule, user=p, position=i) for i, p in enumerate(people)]
        for k in range(5):
            rule = DutyRule.objects.create(group=group, kind="override" if k % 2 else "swap", role="primary",
                                           starts_at=now - timedelta(days=k * 3, hours=2),
                                           ends_at=now - timedelta(days=k * 3) + timedelta(hours=2),
                                           replaces=people[k])
            members.append(DutyMember(rule=rule, user=people[(k + 1) % 6], position=0))
    DutyMember.objects.bulk_create(members)
    return made


def timed(fn, runs: int) -> tuple[float, float, int]:
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    with CaptureQueriesContext(connection) as q:
        fn()
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1], len(q)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--groups", type=int, default=200)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    try:
        with transaction.atomic():
            t = time.perf_counter()
            groups = build(args.groups)
            print(f"roster: {args.groups} groups, {DutyRule.objects.count()} rules, "
                  f"{DutyMember.objects.count()} members (built in {time.perf_counter() - t:.1f} s)")
            everyone = len(duty_on_now())
            p50, p95, queries = timed(lambda: duty_on_now(), args.runs)
            print(f"duty_on_now() every group: {everyone} people on duty; p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
                  f"{queries} query")
            p50, p95, queries = timed(lambda: duty_on_now(groups[7]), args.runs)
            print(f"duty_on_now(group): p50 {p50:.2f} ms, p95 {p95:.2f} ms, {queries} query")
            p50, p95, queries = timed(lambda: duty_on_now(region="R3"), args.runs)
            print(f"duty_on_now(region=…): p50 {p50:.2f} ms, p95 {p95:.2f} ms, {queries} query")
            raise Rollback
    except Rollback:
        pass


if __name__ == "__main__":
    main()
