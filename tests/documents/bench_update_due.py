"""Benchmark of the update-due query (not collected by default; run explicitly):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/opsdesk_documents \
      .venv/bin/python -m pytest -p no:cacheprovider -q -s tests/documents/bench_update_due.py

Builds DOCS documents over CIS CIs (2 CIs each) and CHANGES implemented changes (3 CIs each) with
bulk inserts, then times the selectors a page needs: the due list's first page, the overdue filter
of the library list, and the CI panel. Prints p50/p95 over REPEAT runs."""

from __future__ import annotations

import os
import random
import statistics
import time
from datetime import timedelta

import pytest
from django.db import connection

from changes.models import Change
from cmdb.models import CI, CIClass
from documents.models import Document
from documents.selectors import ci_documents, document_list, document_update_due_list, with_update_due
from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

DOCS = int(os.environ.get("BENCH_DOCS", "50000"))
CIS = int(os.environ.get("BENCH_CIS", "100000"))
CHANGES = int(os.environ.get("BENCH_CHANGES", "20000"))
REPEAT = 20


def timed(fn) -> list[float]:
    runs = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - start) * 1000)
    return runs


def report(name: str, runs: list[float]) -> None:
    p95 = sorted(runs)[int(len(runs) * 0.95) - 1]
    print(f"{name:<42} p50 {statistics.median(runs):7.1f} ms   p95 {p95:7.1f} ms")


def test_update_due_benchmark(now):
    rng = random.Random(7)
    orgs = [OrganizationFactory(name=f"Bench org {i}", code=f"bench-{i}") for i in range(20)]
    manager = UserFactory(role="manager")
    klass = CIClass.objects.create(code="bench", name="Bench")
    CI.objects.bulk_create([CI(name=f"ci-{i}", ci_class=klass, organization=orgs[i % 20]) for i in range(CIS)],
                           batch_size=5000)
    ci_ids = list(CI.objects.order_by("id").values_list("id", "organization_id"))
    docs = []
    for i in range(DOCS):
        at = now - timedelta(days=rng.randint(1, 400))
        docs.append(Document(title=f"doc {i}", category="configuration", organization_id=ci_ids[(2 * i) % CIS][1],
                             latest_number=1, latest_version_at=at, created_at=at, updated_at=at))
    Document.objects.bulk_create(docs, batch_size=5000)
    doc_ids = list(Document.objects.order_by("id").values_list("id", flat=True))
    through = Document.cis.through
    through.objects.bulk_create(
        [through(document_id=d, ci_id=ci_ids[(2 * n + k) % CIS][0]) for n, d in enumerate(doc_ids) for k in (0, 1)],
        batch_size=10000)
    Change.objects.bulk_create([
        Change(number=f"CHG-B{i:06d}", title="bench", organization_id=orgs[i % 20].pk, reported_at=now,
               status="implemented", implemented_at=now - timedelta(days=rng.randint(0, 60)))
        for i in range(CHANGES)], batch_size=5000)
    change_ids = list(Change.objects.order_by("id").values_list("id", flat=True))
    cthrough = Change.cis.through
    cthrough.objects.bulk_create(
        [cthrough(change_id=c, ci_id=ci_ids[rng.randrange(CIS)][0]) for c in change_ids for _ in range(3)],
        batch_size=10000, ignore_conflicts=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    due_count = document_update_due_list(user=manager, now=now).count()
    print(f"\n{DOCS} documents, {CIS} CIs, {CHANGES} implemented changes: {due_count} documents due, "
          f"{document_update_due_list(user=manager, now=now, overdue_only=True).count()} overdue")
    report("update-due list, first page (50)", timed(
        lambda: list(document_update_due_list(user=manager, now=now)[:50])))
    report("library ?update=overdue, first page (50)", timed(
        lambda: list(document_list(user=manager, filters={"update": "overdue"}, now=now)
                     .order_by("-updated_at", "-id")[:50])))
    report("library, first page with due flags (50)", timed(
        lambda: list(with_update_due(document_list(user=manager, now=now), now=now)
                     .order_by("-updated_at", "-id")[:50])))
    ci = CI.objects.get(pk=ci_ids[0][0])
    report("CI panel", timed(lambda: list(ci_documents(user=manager, ci=ci, now=now)[:50])))
