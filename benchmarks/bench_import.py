"""CI import speed (PostgreSQL): a generated 10,000-row Excel file through `cmdb.services.ci_import`
(the code behind the import page and `POST /api/v1/cis/import/`): dry run, first real run (all
created), the same file again (all unchanged: idempotent) and a changed file (all updated, with
history). Prints rows/s per run; target ≥ 2,000 rows/s. Figures, not assertions. Cleans its own
organisation's CIs before it starts.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/opsdesk_bench_cmdb \
        .venv/bin/python benchmarks/bench_import.py --rows 10000
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/opsdesk_bench_cmdb")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402
from openpyxl import Workbook  # noqa: E402

from accounts.models import Organization  # noqa: E402
from cmdb.catalog import STANDARD_ATTRIBUTES  # noqa: E402
from cmdb.models import CI, CIClass  # noqa: E402
from cmdb.services import ci_import  # noqa: E402

ORG = "bench-import"
CLASSES = ("pc", "printer", "camera", "server", "switch")


def workbook(rows: int, *, variant: int) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("CIs")
    ws.append(["organization", "ci_class", "name", "status", "site", "building", "floor", "room", "serial",
               "asset_tag", "vendor", "model", "purchase_date", "warranty_end", "attr:ip", "attr:os",
               "attr:hostname", "attr:ram_gb"])
    start = date(2023, 1, 1)
    for n in range(rows):
        code = CLASSES[n % len(CLASSES)]
        purchased = start + timedelta(days=n % 900)
        ws.append([ORG, code, f"{code}-{n:05d}", "in_use" if variant == 0 else "standby", "总部", f"{1 + n % 4}号楼",
                   str(1 + n % 12), f"{100 + n % 40}", f"SN{n:08d}", f"AT-{n:06d}", "联想", f"M{n % 7}", purchased,
                   purchased + timedelta(days=3 * 365 + variant),
                   f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}" if code in ("pc", "printer", "camera") else None,
                   "Windows 10" if code == "pc" else None,
                   f"host-{n}" if code in ("pc", "server") else None,
                   (64 + variant) if code == "server" else None])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    org, _ = Organization.objects.get_or_create(code=ORG, defaults={"name": "Import benchmark"})
    for code in CLASSES:
        klass, _ = CIClass.objects.get_or_create(code=code, defaults={"name": code})
        if not klass.attributes:
            klass.attributes = STANDARD_ATTRIBUTES[code]
            klass.save(update_fields=["attributes"])
    with connection.cursor() as cur:
        cur.execute("DELETE FROM cmdb_cichange WHERE ci_id IN (SELECT id FROM cmdb_ci WHERE organization_id=%s)",
                    [org.pk])
        cur.execute("DELETE FROM cmdb_ci WHERE organization_id=%s", [org.pk])
    first, changed = workbook(args.rows, variant=0), workbook(args.rows, variant=1)
    print(f"{args.rows:,}-row xlsx: {len(first) / 1024:.0f} KiB; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} CPUs")
    now = timezone.now()
    for label, content, dry_run in (("dry run", first, True), ("first run (creates)", first, False),
                                    ("same file again (unchanged)", first, False),
                                    ("changed file (updates + history)", changed, False)):
        start, cpu = time.perf_counter(), time.process_time()
        report = ci_import(content=content, filename="bench.xlsx", actor=None, now=now, dry_run=dry_run)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        print(f"{label:34s} {seconds:6.2f} s (Python CPU {cpu:5.2f} s)  {report.rows / seconds:7,.0f} rows/s  "
              f"created {report.created:,} "
              f"updated {report.updated:,} unchanged {report.unchanged:,} errors {report.error_count}")
    print(f"CIs in the organisation: {CI.objects.filter(organization=org).count():,}")


if __name__ == "__main__":
    main()
