"""Impact-analysis latency on a large CMDB graph (PostgreSQL): 100,000 CIs and 300,000
relationships in a realistic layered estate, with cycles, and a core switch with thousands of
dependants. Prints p50/p95 over N runs of `cmdb.selectors.ci_impact_result` (the query behind
`GET /api/v1/cis/{id}/impact/`, the CI page and the incident panel). Figures, not assertions.

Graph (built with INSERT … SELECT generate_series, ~30 s), ten regions: 20 links ← 20 core
switches (a mutually dependent pair per region: cycles) ← 200 aggregation ← 2,000 access switches
(dual-homed) ← 5,000 hosts and 66,490 end devices (cameras/PCs/printers, dual-homed); 20,000 VMs
hosted on the hosts, 5,000 applications running on 3 VMs each and depending on 2 others (cycles
of 5), 500 services depending on 4 applications, 300 UPS the end devices depend on, 470 racks
containing hosts and switches, and VM clusters depending on each other (cycles) up to 300,000
relationships. A core switch then has ~10,000 dependants (its region), incl. 50 services.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/opsdesk_bench_cmdb \
        .venv/bin/python benchmarks/bench_impact.py --runs 50
(`--rebuild` drops and recreates the graph; the database must be migrated:
 `manage.py migrate --skip-checks`.)
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
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/opsdesk_bench_cmdb")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

from accounts.models import Organization  # noqa: E402
from cmdb.models import CI, CIClass, CIRelation  # noqa: E402
from cmdb.selectors import ci_impact_result  # noqa: E402

ORG = "bench-cmdb"
# layer, class code, how many
LAYERS = (("link", "link", 20), ("core", "switch", 20), ("agg", "switch", 200), ("access", "switch", 2000),
          ("host", "server", 5000), ("vm", "vm", 20000), ("app", "application", 5000), ("svc", "service", 500),
          ("ups", "ups", 300), ("rack", "rack", 470))
TOTAL_CIS = 100_000
TOTAL_RELATIONS = 300_000


def sql(statement: str, params: list | tuple | None = ()) -> int:
    with connection.cursor() as cur:
        cur.execute(statement, params)
        return cur.rowcount


def scalar(statement: str, params: list | tuple = ()):
    with connection.cursor() as cur:
        cur.execute(statement, params)
        return cur.fetchone()[0]


def build() -> dict[str, tuple[int, int]]:
    org, _ = Organization.objects.get_or_create(code=ORG, defaults={"name": "Benchmark estate"})
    classes = {}
    for code in {c for _l, c, _n in LAYERS} | {"camera"}:
        classes[code], _ = CIClass.objects.get_or_create(code=code, defaults={"name": code,
                                                                              "is_service": code == "service"})
    endpoints = TOTAL_CIS - sum(n for _l, _c, n in LAYERS)
    layers = (*LAYERS, ("end", "camera", endpoints))
    base: dict[str, tuple[int, int]] = {}
    with transaction.atomic():
        for layer, code, count in layers:
            sql("""INSERT INTO cmdb_ci (name, ci_class_id, organization_id, status, location, site, building, floor,
                       room, rack, serial, asset_tag, vendor, model, attributes, version, created_at, updated_at)
                   SELECT %s || '-' || g, %s, %s, 'in_use', '', '', '', '', '', '', 'SN-' || %s || '-' || g, '', '',
                          %s, '{}', 1, now(), now() FROM generate_series(1, %s) g""",
                [layer, classes[code].pk, org.pk, layer, layer, count])
            lo, hi = (scalar("SELECT min(id) FROM cmdb_ci WHERE organization_id=%s AND model=%s", [org.pk, layer]),
                      scalar("SELECT max(id) FROM cmdb_ci WHERE organization_id=%s AND model=%s", [org.pk, layer]))
            assert hi - lo + 1 == count, "ids of a layer are not contiguous"
            base[layer] = (lo, count)

        def rel(kind: str, src: str, dst: str, n: int, pick: str, dependant_is_source: bool = True) -> None:
            """n relations `src[S] kind dst[pick]` for i = 0..n-1, S = i mod |src| (the source's index),
            K = i div |src| (the pass: 0 for a source's first relation of this kind, 1 for its second …)."""
            s0, sn = base[src]
            d0, dn = base[dst]
            expr = pick.replace("S", f"(i % {sn})").replace("K", f"(i / {sn})")
            dep, dcy = ("s", "d") if dependant_is_source else ("d", "s")
            sql(f"""INSERT INTO cmdb_cirelation (source_id, target_id, type, dependant_id, dependency_id, active,
                        note, created_at)
                    SELECT s, d, '{kind}', {dep}, {dcy}, true, '', now() FROM (
                      SELECT DISTINCT {s0} + (i % {sn}) AS s, {d0} + (({expr}) % {dn}) AS d
                        FROM generate_series(0, {n - 1}) i) x
                     WHERE s <> d""", None)

        # Ten regions: the index mod 10 of every CI (all layer sizes are multiples of 10), and every
        # link stays inside its region, as a real estate's core pair serves its own sites.
        rel("connects_to", "core", "link", 20, "S")
        rel("depends_on", "core", "core", 20, "S + 10")  # the two cores of a region need each other: cycles
        rel("connects_to", "agg", "core", 400, "(S / 10 + K) * 10 + S % 10")
        rel("connects_to", "access", "agg", 4000, "(S / 10 * 3 + K) * 10 + S % 10")
        rel("connects_to", "host", "access", 10000, "(S / 10 * 7 + K) * 10 + S % 10")
        rel("connects_to", "end", "access", 2 * base["end"][1], "(S / 10 * 3 + K * 5) * 10 + S % 10")
        rel("hosted_on", "vm", "host", 20000, "S")
        rel("runs_on", "app", "vm", 15000, "(S / 10 * 4 + K) * 10 + S % 10")
        rel("depends_on", "app", "app", 10000, "S / 50 * 50 + (S % 50 + 10 * (K + 1)) % 50")  # cycles of 5
        rel("depends_on", "svc", "app", 2000, "(S / 10 * 10 + K) * 10 + S % 10")
        rel("depends_on", "end", "ups", base["end"][1], "S")
        rel("contains", "rack", "host", 5000, "i", dependant_is_source=False)
        rel("contains", "rack", "access", 2000, "i", dependant_is_source=False)
        have = CIRelation.objects.filter(source__organization=org).count()
        # VMs of a cluster (blocks of 4 per region) depend on each other: more cycles.
        rel("depends_on", "vm", "vm", TOTAL_RELATIONS - have, "S / 40 * 40 + (S % 40 + 10 * (K + 1)) % 40")
    sql("VACUUM ANALYZE cmdb_ci")  # as autovacuum would after a bulk load: index-only scans need it
    sql("VACUUM ANALYZE cmdb_cirelation")
    return base


def layer_bases(org: Organization) -> dict[str, tuple[int, int]]:
    rows = CI.objects.filter(organization=org).values_list("model").order_by()
    from django.db.models import Count, Min

    return {r["model"]: (r["lo"], r["n"]) for r in rows.values("model").annotate(lo=Min("id"), n=Count("id"))}


def timed(runs: int, ci_id: int, direction: str, limit: int) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = ci_impact_result(ci_ids=[ci_id], direction=direction, limit=limit)
        times.append((time.perf_counter() - start) * 1000)
    return times, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--limit", type=int, default=200, help="rows returned (the API's default)")
    args = parser.parse_args()
    org = Organization.objects.filter(code=ORG).first()
    if org is not None and args.rebuild:
        sql("DELETE FROM cmdb_cirelation WHERE source_id IN (SELECT id FROM cmdb_ci WHERE organization_id=%s)",
            [org.pk])
        sql("DELETE FROM cmdb_cichange WHERE ci_id IN (SELECT id FROM cmdb_ci WHERE organization_id=%s)", [org.pk])
        sql("DELETE FROM cmdb_ci WHERE organization_id=%s", [org.pk])
        org = None
    if org is None or not CI.objects.filter(organization=org).exists():
        start = time.perf_counter()
        build()
        print(f"built the graph in {time.perf_counter() - start:.1f} s")
        org = Organization.objects.get(code=ORG)
    bases = layer_bases(org)
    n_cis = CI.objects.filter(organization=org).count()
    n_rel = CIRelation.objects.filter(source__organization=org).count()
    print(f"graph: {n_cis:,} CIs, {n_rel:,} relationships (PostgreSQL "
          f"{connection.cursor().connection.info.server_version}), load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs")
    cases = (("core switch: what fails with it", "core", 0, "dependants"),
             ("aggregation switch: what fails with it", "agg", 5, "dependants"),
             ("host: what fails with it", "host", 42, "dependants"),
             ("service: what it depends on", "svc", 7, "dependencies"))
    for label, layer, offset, direction in cases:
        ci_id = bases[layer][0] + offset
        ci_impact_result(ci_ids=[ci_id], direction=direction, limit=args.limit)  # warm the cache
        times, result = timed(args.runs, ci_id, direction, args.limit)
        times.sort()
        p95 = times[max(0, int(round(0.95 * len(times))) - 1)]
        print(f"{label:42s} reached {result.total:>6,} CIs ({result.services:>4} services): "
              f"p50 {statistics.median(times):7.1f} ms  p95 {p95:7.1f} ms  max {times[-1]:7.1f} ms  ({args.runs} runs)")


if __name__ == "__main__":
    main()
