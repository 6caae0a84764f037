"""Time the known-error search and suggestions over many problems (PostgreSQL).

    DATABASE_URL=postgres://…/scratch python manage.py problems_bench --count 100000

Adds `--count` synthetic problems (half of them known errors, Chinese titles built from the demo
fault vocabulary) to the database it runs on — use a scratch database — then prints the median
time of each query over `--repeat` runs and whether the plan uses the GIN index."""

from __future__ import annotations

import random
import statistics
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils import timezone

from accounts.choices import Role
from accounts.models import Organization, User
from incidents.management.seed_data import CI_CLASSES, FAULTS, WORKAROUNDS
from tickets.numbering import allocate_numbers

from ...filtersets import problem_text_search
from ...models import Problem
from ...search import vector_literal
from ...selectors import known_error_search, known_error_suggestions

PLACES = ("一楼", "二楼", "三楼", "机房", "指挥中心", "门诊楼", "数据中心", "监控室", "办公区", "东区")
CAUSES = ("固件缺陷", "供电不足", "散热不良", "配置错误", "线缆老化", "光模块损坏", "兼容性问题", "病毒感染")
QUERIES = ("交换机端口", "端口频繁上下线", "UPS 电池告警", "摄像机 画面黑屏", "光模块故障", "数据库连接数满")


class Command(BaseCommand):
    help = "Benchmark the known-error search (adds synthetic problems to the current database)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, default=100_000)
        parser.add_argument("--repeat", type=int, default=7)
        parser.add_argument("--batch", type=int, default=5_000)

    def handle(self, *args: Any, **opts: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("The benchmark measures the PostgreSQL full-text index: run it on PostgreSQL.")
        user = User.objects.filter(is_active=True, role=Role.ANALYST).first() or User.objects.filter(
            is_superuser=True).first()
        if user is None:
            user = User.objects.create(username="bench-analyst", role=Role.ANALYST, name="bench")
        org = Organization.objects.order_by("id").first() or Organization.objects.create(name="Bench", code="bench")
        self.populate(count=opts["count"], batch=opts["batch"], org=org, user=user)
        total = Problem.objects.count()
        kes = Problem.objects.filter(known_error=True).count()
        self.stdout.write(f"{total} problems, {kes} known errors")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE problems_problem")
        for q in QUERIES:
            rows, ms = self.timed(lambda q=q: list(known_error_search(user=user, q=q).defer("search_vector")[:50]),
                                  opts["repeat"])
            self.stdout.write(f"known_error_search {q!r}: {len(rows)} rows (first page of 50), median {ms:.1f} ms")
        text = "三楼交换机端口频繁上下线，业务中断"
        rows, ms = self.timed(lambda: known_error_suggestions(user=user, text=text), opts["repeat"])
        self.stdout.write(f"known_error_suggestions {text!r}: {len(rows)} suggestions, median {ms:.1f} ms")
        qs = problem_text_search(Problem.objects.only("pk"), "交换机端口")
        sql, params = qs.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        self.stdout.write("GIN index used: " + ("yes" if "prb_search_vector" in plan else "no"))

    def timed(self, run: Any, repeat: int) -> tuple[Any, float]:
        result, times = None, []
        for _ in range(repeat):
            start = time.perf_counter()
            result = run()
            times.append((time.perf_counter() - start) * 1000)
        return result, statistics.median(times)

    def populate(self, *, count: int, batch: int, org: Organization, user: User) -> None:
        rng = random.Random(2026)
        now = timezone.now()
        classes = list(FAULTS)
        names = dict(CI_CLASSES)
        made = 0
        while made < count:
            n = min(batch, count - made)
            numbers = allocate_numbers(Problem.NUMBER_PREFIX, n)
            rows, vectors = [], []
            for number in numbers:
                cls = rng.choice(classes)
                title = f"{rng.choice(PLACES)}{names.get(cls, cls)}{rng.choice(FAULTS[cls])}"
                root = f"{rng.choice(CAUSES)}导致{rng.choice(FAULTS[rng.choice(classes)])}"
                work = rng.choice(WORKAROUNDS)
                known = rng.random() < 0.5
                rows.append(Problem(number=number, title=title, root_cause=root, workaround=work, organization=org,
                                    known_error=known, known_error_at=now if known else None,
                                    status="known_error" if known else "investigating", reported_at=now,
                                    created_by=user))
                vectors.append(vector_literal([("A", number), ("A", title), ("B", work), ("B", root)]))
            with transaction.atomic():
                created = Problem.objects.bulk_create(rows)
                with connection.cursor() as cursor:
                    cursor.executemany("UPDATE problems_problem SET search_vector = %s::tsvector WHERE id = %s",
                                       [(v, p.pk) for v, p in zip(vectors, created, strict=True)])
            made += n
            self.stdout.write(f"  {made}/{count} problems written")
