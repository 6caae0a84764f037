"""Inspection rounds at scale (issue #14), PostgreSQL. Prints figures, asserts nothing.

Estate: 100,000 CIs of one organisation on 100 sites (1,000 each). Plans: per site a monthly
system inspection of all its CIs and a weekly random spot check of 50 — 200 plans. Measured:
1. generating one month of rounds (`rounds_generate`, what the hourly beat runs): rounds, round
   CIs (targets), seconds; then the same call again (every round exists: the idempotent path);
2. recording 10,000 answers through `answer_record` (the service behind the phone's POST), 1% of
   them out-of-limit readings that open an incident on the CI; then 1,000 resends of answers
   already stored (the phone retrying after a dropped connection: accepted once, nothing written).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/opsdesk_bench_inspect \
        .venv/bin/python benchmarks/bench_inspections.py
(the database must be migrated: `manage.py migrate --skip-checks`; `--keep` leaves the data.)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/opsdesk_bench_inspect")

import django  # noqa: E402

django.setup()

from django.apps import apps  # noqa: E402
from django.db import connection  # noqa: E402

from accounts.choices import Role  # noqa: E402
from accounts.models import Organization, SupportGroup, User  # noqa: E402
from cmdb.models import CI, CIClass  # noqa: E402
from inspections.models import Answer, ChecklistItem, ChecklistTemplate, InspectionPlan, InspectionRound, RoundTarget  # noqa: E402
from inspections.services import answer_record, rounds_generate  # noqa: E402
from inspections.templates_data import install  # noqa: E402

ORG = "bench-insp"
SITES, PER_SITE = 100, 1000
SH = ZoneInfo("Asia/Shanghai")


def setup() -> tuple[Organization, User]:
    install(apps)
    org, _ = Organization.objects.get_or_create(code=ORG, defaults={"name": "Bench inspections"})
    engineer, _ = User.objects.get_or_create(username="bench-insp-eng", defaults={"role": Role.ENGINEER,
                                                                                 "name": "Bench engineer"})
    group, _ = SupportGroup.objects.get_or_create(name="Bench inspection group")
    group.members.add(engineer)
    if not CI.objects.filter(organization=org).exists():
        cls, _ = CIClass.objects.get_or_create(code="camera", defaults={"name": "Camera"})
        t0 = time.perf_counter()
        CI.objects.bulk_create([CI(name=f"cam-{s:03d}-{i:04d}", ci_class=cls, organization=org, site=f"site-{s:03d}")
                                for s in range(SITES) for i in range(PER_SITE)], batch_size=5000)
        print(f"estate: {SITES * PER_SITE:,} CIs inserted in {time.perf_counter() - t0:.1f} s")
    if not InspectionPlan.objects.filter(organization=org).exists():
        monthly = ChecklistTemplate.objects.get(code="monthly-system")
        weekly = ChecklistTemplate.objects.get(code="weekly-spot-check")
        now = datetime.now(tz=SH)
        for s in range(SITES):
            InspectionPlan.objects.create(name=f"monthly site-{s:03d}", template=monthly, organization=org,
                                          site=f"site-{s:03d}", frequency="monthly", group=group,
                                          starts_on=date(2026, 1, 1), created_at=now)
            InspectionPlan.objects.create(name=f"spot site-{s:03d}", template=weekly, organization=org,
                                          site=f"site-{s:03d}", frequency="weekly", day_rule="nth_weekday",
                                          weekday=2, sample_size=50, group=group, starts_on=date(2026, 1, 1),
                                          created_at=now)
    return org, engineer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--month", default="2026-11")
    parser.add_argument("--answers", type=int, default=10_000)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    org, engineer = setup()
    plans = list(InspectionPlan.objects.filter(organization=org).values_list("pk", flat=True))
    year, month = (int(p) for p in args.month.split("-"))
    first = date(year, month, 1)
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    now = datetime(year, month, 1, 8, tzinfo=SH)

    t0 = time.perf_counter()
    summary = rounds_generate(now=now, plan_ids=plans, until=last)
    took = time.perf_counter() - t0
    rounds = InspectionRound.objects.filter(plan_id__in=plans, scheduled_for__range=(first, last))
    targets = RoundTarget.objects.filter(round__in=rounds).count()
    print(f"generate {args.month}: {summary.created} rounds created ({summary.existing} existed, {summary.failed} failed), "
          f"{targets:,} round CIs, {took:.1f} s ({1000 * took / max(1, summary.created):.1f} ms/round, "
          f"{1e6 * took / max(1, targets):.0f} µs/round CI)")
    t0 = time.perf_counter()
    again = rounds_generate(now=now, plan_ids=plans, until=last)
    took = time.perf_counter() - t0
    print(f"generate again (second beat): {again.created} created, {again.existing} existed, {took:.2f} s")

    if args.answers <= 0:
        return
    monthly_rounds = list(rounds.filter(plan__template__code="monthly-system").order_by("pk")[:10])
    items = list(ChecklistItem.objects.filter(template__code="monthly-system").order_by("position"))
    reading = next(i for i in items if i.kind == "reading")
    todo = []
    for ticket in monthly_rounds:
        for target in RoundTarget.objects.filter(round=ticket).order_by("position")[:200]:
            for item in items:
                todo.append((ticket.pk, target.ci_id, item))
                if len(todo) >= args.answers:
                    break
            if len(todo) >= args.answers:
                break
        if len(todo) >= args.answers:
            break
    sent: list[tuple[int, dict]] = []
    timings: list[float] = []
    findings = 0
    t_all = time.perf_counter()
    for n, (round_id, ci_id, item) in enumerate(todo):
        data = {"uuid": str(uuid.uuid4()), "ci": ci_id, "item": item.pk, "passed": True, "reading": "22",
                "choice": "good", "text": "正常"}
        if item.pk == reading.pk and n % 100 == 3:
            data["reading"] = "45"
            findings += 1
        t0 = time.perf_counter()
        answer_record(round_id=round_id, actor=engineer, data=data, now=now + timedelta(hours=2))
        timings.append(time.perf_counter() - t0)
        if n % 10 == 0:
            sent.append((round_id, data))
    total = time.perf_counter() - t_all
    q = statistics.quantiles(timings, n=100)
    print(f"answers: {len(timings):,} recorded in {total:.1f} s ({len(timings) / total:.0f}/s), "
          f"p50 {1000 * q[49]:.1f} ms, p95 {1000 * q[94]:.1f} ms, p99 {1000 * q[98]:.1f} ms; "
          f"{findings} out-of-limit readings opened incidents")
    resend = []
    for round_id, data in sent[:1000]:
        t0 = time.perf_counter()
        _, created = answer_record(round_id=round_id, actor=engineer, data=data, now=now + timedelta(hours=3))
        resend.append(time.perf_counter() - t0)
        assert not created
    q = statistics.quantiles(resend, n=100)
    print(f"resends: {len(resend):,} duplicates accepted once (nothing written), p50 {1000 * q[49]:.2f} ms, "
          f"p95 {1000 * q[94]:.2f} ms; answers stored: {Answer.objects.filter(round__in=rounds).count():,}")
    if not args.keep:
        with connection.cursor() as cur:
            cur.execute("DELETE FROM inspections_answer WHERE round_id IN (SELECT id FROM inspections_inspectionround "
                        "WHERE plan_id = ANY(%s))", [plans])
        print("answers removed (rounds, plans and CIs kept; --keep keeps the answers too)")


if __name__ == "__main__":
    main()
