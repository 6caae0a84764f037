"""The one search box and the inbox badge at scale: prints figures, asserts nothing.

Run against a database loaded by `manage.py seed_bulk` (e.g. 1,000,000 incidents):

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/opsdesk_inbox_bench
    .venv/bin/python manage.py migrate && .venv/bin/python manage.py seed_bulk --incidents 1000000
    .venv/bin/python benchmarks/bench_search.py [--repeat 5]

1. `global_search` per kind of query (exact number, digits only, caller's phone, CI serial/name,
   words, a word found nowhere = the worst case), as the bulk dispatcher and as a customer:
   best / median time and SQL statements.
2. SQL statements per page with and without the navigation's unread badge (294 unread, as the
   regional lead had after the first run), and the badge query's own time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.choices import Role  # noqa: E402
from accounts.models import Contact, User  # noqa: E402
from cmdb.models import CI  # noqa: E402
from incidents.models import Incident  # noqa: E402
from notifications.models import Notification  # noqa: E402
from notifications.selectors import notification_unread_badge  # noqa: E402
from search.selectors import global_search  # noqa: E402


def timed(fn, repeat: int) -> tuple[float, float, int, object]:
    times, statements, result = [], 0, None
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            result = fn()
            times.append((time.perf_counter() - start) * 1000)
        statements = len(ctx.captured_queries)
    return min(times), statistics.median(times), statements, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    now = timezone.now()
    total = Incident.objects.count()
    print(f"incidents: {total:,}  database: {connection.vendor}")
    dispatcher = User.objects.filter(role=Role.DISPATCHER, is_active=True).order_by("pk").first()
    recent = Incident.objects.order_by("-reported_at").select_related("contact", "ci", "organization").first()
    assert dispatcher is not None and recent is not None, "seed the database first (manage.py seed_bulk)"
    customer = User.objects.filter(role=Role.CUSTOMER, organization_id=recent.organization_id).first()
    if customer is None:
        customer = User.objects.create_user(username=f"bench_customer_{recent.organization_id}", password=None,
                                            role=Role.CUSTOMER, organization_id=recent.organization_id)
    contact = recent.contact or Contact.objects.filter(organization_id=recent.organization_id).first()
    ci = recent.ci or CI.objects.filter(organization_id=recent.organization_id).first()
    word = recent.title.split()[-1] if recent.title else "故障"
    cases = [
        ("exact number", recent.number),
        ("digits only", recent.number.split("-")[1]),
        ("caller's phone", contact.phone if contact else "13700000000"),
        ("CI name", ci.name if ci else "交换机-001"),
        ("CI serial (none set)", "SN-NOT-THERE-1"),
        ("words", f"{word}"),
        ("word found nowhere", "zzqxj未有之词"),
    ]
    print(f"\nglobal_search, {args.repeat} runs each (best / median ms, SQL statements, hits per kind)")
    for who, user in (("dispatcher", dispatcher), ("customer", customer)):
        for label, q in cases:
            best, median, statements, groups = timed(lambda u=user, text=q: global_search(user=u, q=text, now=now), args.repeat)
            hits = ", ".join(f"{g.kind}:{len(g.hits)}" for g in groups) or "-"
            print(f"  {who:<10} {label:<22} {q[:24]:<24} {best:8.1f} {median:8.1f}  {statements:3d} SQL  {hits}")

    print("\nnavigation badge")
    lead = dispatcher
    have = Notification.objects.filter(user=lead, read_at__isnull=True).count()
    if have < 294:
        Notification.objects.bulk_create([
            Notification(user=lead, event="sla.breach", title=f"bench {i}", subject=recent.number, created_at=now)
            for i in range(294 - have)])
    best, median, statements, badge = timed(lambda: notification_unread_badge(user=lead), args.repeat)
    print(f"  badge {badge!r}: {best:.2f} / {median:.2f} ms, {statements} SQL")
    client = Client()
    client.force_login(lead)
    without = [dict(t, OPTIONS={**t["OPTIONS"], "context_processors": [
        p for p in t["OPTIONS"]["context_processors"] if "inbox_badge" not in p]}) for t in settings.TEMPLATES]
    print("  SQL statements per page (without badge -> with badge)")
    for path in ("/incidents/", "/changes/", "/notifications/", f"/incidents/{recent.pk}/"):
        with override_settings(TEMPLATES=without):
            client.get(path)
            with CaptureQueriesContext(connection) as off:
                client.get(path)
        client.get(path)
        with CaptureQueriesContext(connection) as on:
            start = time.perf_counter()
            client.get(path)
            elapsed = (time.perf_counter() - start) * 1000
        print(f"    {path:<24} {len(off.captured_queries):3d} -> {len(on.captured_queries):3d}   ({elapsed:.0f} ms with badge)")


if __name__ == "__main__":
    main()
