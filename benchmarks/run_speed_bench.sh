#!/usr/bin/env bash
# Issue 19 in one command: OpsDesk against the floor (bench_speed.py: CPU per request, ratio, query
# counts, goals met or not), then creations/s with 8 clients through gunicorn (run_http_bench.sh).
# Seeds the database first when needed (run_http_bench.sh's logic: 1,000,000 incidents + clocks).
#
#   benchmarks/run_speed_bench.sh                          # DB opsdesk_bench
#   DB_NAME=opsdesk_speed_bench benchmarks/run_speed_bench.sh --requests 100 --rounds 3
set -euo pipefail
cd "$(dirname "$0")/.."
DB_NAME=${DB_NAME:-opsdesk_bench}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}
export DATABASE_URL=${DATABASE_URL:-$PG_URL/$DB_NAME}
echo "== load average: $(cut -d' ' -f1-3 /proc/loadavg)"
if ! psql "$PG_URL/postgres" -Atc "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'" | grep -q 1 \
   || (( $(psql "$DATABASE_URL" -Atc "SELECT count(*) FROM incidents_incident" 2>/dev/null || echo 0) < ${INCIDENTS:-1000000} )); then
    echo "== seeding via run_http_bench.sh (first run only)"
    DB_NAME=$DB_NAME benchmarks/run_http_bench.sh --requests 5 --creates 10
fi
echo "== OpsDesk vs the floor (in-process WSGI, CPU of this process + its PostgreSQL backend)"
.venv/bin/python benchmarks/bench_speed.py "$@"
echo "== creations/s with 8 clients (gunicorn)"
SLA_CLOCKS=0 DB_NAME=$DB_NAME benchmarks/run_http_bench.sh --requests 50 --creates 400 --create-threads 8
