"""Scale run of the spare-parts store: bulk-creates synthetic parts, storerooms, stock and ledger rows
(marked BENCH-), then prints latency of the reorder list, the parts list page (with `quantity` summed
in SQL) and a part's movement log, and the throughput of concurrent issues from one stock row.

    python manage.py spares_bench --parts 20000 --storerooms 50 --movements 500000
"""

from __future__ import annotations

import statistics
import threading
import time
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand
from django.db import connections
from django.utils import timezone

from accounts.choices import Role
from accounts.models import User
from incidents.choices import IncidentStatus
from incidents.models import Incident
from spares.choices import MovementKind, MovementStatus
from spares.models import Movement, SparePart, Stock, Storeroom
from spares.selectors import movement_list, reorder_list, spare_part_list
from spares.services import movement_request

BATCH = 5000


def timed(fn: Any, runs: int = 30) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


class Command(BaseCommand):
    help = "Synthetic volume for the spare-parts store and the latency of its lists."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--parts", type=int, default=20000)
        parser.add_argument("--storerooms", type=int, default=50)
        parser.add_argument("--movements", type=int, default=500000)
        parser.add_argument("--threads", type=int, default=8)

    def handle(self, *args: Any, **opts: Any) -> None:
        now = timezone.now()
        user = User.objects.filter(role=Role.MANAGER).first() or User.objects.create(
            username="bench-manager", role=Role.MANAGER, name="bench")
        if not Storeroom.objects.filter(code="bench-0").exists():
            self.populate(user, now, opts)
        part = SparePart.objects.filter(part_number__startswith="BENCH-").order_by("id").first()
        assert part is not None
        self.stdout.write(f"rows: parts={SparePart.objects.count()} stock={Stock.objects.count()} "
                          f"movements={Movement.objects.count()}")
        for label, fn in (
            ("reorder list (first 200)", lambda: list(reorder_list(user=user)[:200])),
            ("parts list page (50, by name)", lambda: list(spare_part_list(user=user).order_by("name", "id")[:50])),
            ("parts list ?q=BENCH-1 (50)", lambda: list(spare_part_list(user=user, filters={"q": "BENCH-1"})
                                                         .order_by("name", "id")[:50])),
            ("part movement log page (50)", lambda: list(movement_list(user=user, part=part)[:50])),
        ):
            p50, p95 = timed(fn)
            self.stdout.write(f"{label}: p50 {p50:.1f} ms, p95 {p95:.1f} ms")
        self.concurrent_issues(user, now, opts["threads"])

    def populate(self, user: User, now: Any, opts: Any) -> None:
        rooms = Storeroom.objects.bulk_create(
            [Storeroom(name=f"Bench store {i}", code=f"bench-{i}") for i in range(opts["storerooms"])])
        parts: list[SparePart] = []
        for start in range(0, opts["parts"], BATCH):
            parts += SparePart.objects.bulk_create([
                SparePart(part_number=f"BENCH-{i:07d}", name=f"Bench part {i}", reorder_level=i % 20,
                          created_at=now) for i in range(start, min(opts["parts"], start + BATCH))])
        stock = [Stock(part=p, storeroom=rooms[(p.pk + k) % len(rooms)], quantity=(p.pk * 7 + k) % 15, updated_at=now)
                 for p in parts for k in range(5)]
        for start in range(0, len(stock), BATCH):
            Stock.objects.bulk_create(stock[start:start + BATCH], ignore_conflicts=True)
        made = 0
        while made < opts["movements"]:
            n = min(BATCH, opts["movements"] - made)
            Movement.objects.bulk_create([
                Movement(part=parts[(made + i) % len(parts)], kind=MovementKind.RECEIVE, quantity=1,
                         to_storeroom=rooms[(made + i) % len(rooms)], status=MovementStatus.DONE,
                         requested_by=user, requested_at=now - timedelta(minutes=made + i), applied_at=now)
                for i in range(n)])
            made += n

    def concurrent_issues(self, user: User, now: Any, threads: int) -> None:
        """`threads` workers race to issue 1 unit each from a row holding 200: how many per second, and
        the proof that the figure ends at exactly 0 with 200 successes."""
        room = Storeroom.objects.get(code="bench-0")
        part = SparePart.objects.create(part_number=f"BENCH-RACE-{now.timestamp():.0f}", name="race", created_at=now)
        movement_request(part_id=part.pk, kind=MovementKind.RECEIVE, quantity=200, actor=user, now=now,
                         to_storeroom=room)
        incident = Incident.objects.exclude(status=IncidentStatus.CANCELLED).order_by("id").first()
        if incident is None:
            self.stdout.write("concurrent issues: skipped (no incident to issue to; run seed_demo first)")
            return
        ok = [0]
        lock = threading.Lock()

        def worker() -> None:
            try:
                while True:
                    try:
                        movement_request(part_id=part.pk, kind=MovementKind.ISSUE, quantity=1, actor=user, now=now,
                                         from_storeroom=room, incident=incident)
                    except Exception:  # noqa: BLE001 - the refusal when stock is gone
                        return
                    with lock:
                        ok[0] += 1
            finally:
                connections.close_all()

        start = time.perf_counter()
        pool = [threading.Thread(target=worker) for _ in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        seconds = time.perf_counter() - start
        left = Stock.objects.get(part=part, storeroom=room).quantity
        self.stdout.write(f"concurrent issues ({threads} threads): {ok[0]} issued in {seconds:.2f} s "
                          f"({ok[0] / seconds:.0f}/s), stock left {left}")
