#!/usr/bin/env bash
# End-to-end HTTP benchmark on PostgreSQL: create the database if needed, migrate, load
# $INCIDENTS incidents with seed_bulk (only when fewer are there), give the rows the benchmark reads
# their SLA clocks (bench_clocks.sql; SLA_CLOCKS=0 skips it), start gunicorn with DEBUG off,
# run benchmarks/bench_http.py against it, stop gunicorn. Extra arguments go to bench_http.py.
#
#   benchmarks/run_http_bench.sh                      # 1,000,000 incidents in opsdesk_bench
#   RESEED=1 INCIDENTS=200000 benchmarks/run_http_bench.sh --requests 500
set -euo pipefail
cd "$(dirname "$0")/.."

DB_NAME=${DB_NAME:-opsdesk_bench}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}
export DATABASE_URL=${DATABASE_URL:-$PG_URL/$DB_NAME}
INCIDENTS=${INCIDENTS:-1000000}
ORGANIZATIONS=${ORGANIZATIONS:-50}
PORT=${PORT:-8011}
WORKERS=${WORKERS:-4}
# Threads per worker: 2, as production runs (Dockerfile, docker-compose.yml: --workers 4 --threads 2,
# gunicorn's gthread worker, which keeps connections alive and lets a worker's second request run
# while the first waits on PostgreSQL). THREADS=1 gives the sync worker measured before 2026-12-06 22:30.
THREADS=${THREADS:-2}
unset DEBUG
export API_THROTTLE_USER=${API_THROTTLE_USER:-1000000/min}
export LOG_LEVEL=${LOG_LEVEL:-ERROR}
PY=.venv/bin/python

if [[ "${RESEED:-0}" == "1" ]]; then
    psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS $DB_NAME"
fi
if ! psql "$PG_URL/postgres" -Atc "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'" | grep -q 1; then
    psql "$PG_URL/postgres" -qc "CREATE DATABASE $DB_NAME"
fi
$PY manage.py migrate --noinput -v0

have=$(psql "$DATABASE_URL" -Atc "SELECT count(*) FROM incidents_incident")
if (( have < INCIDENTS )); then
    echo "== seed_bulk: $have incidents present, loading $((INCIDENTS - have))"
    $PY manage.py seed_bulk --incidents $((INCIDENTS - have)) --organizations "$ORGANIZATIONS" --years 3
else
    echo "== $have incidents present, no load needed"
fi

if [[ "${SLA_CLOCKS:-1}" == "1" ]]; then
    echo "== SLA clocks for the rows the benchmark reads (benchmarks/bench_clocks.sql)"
    psql "$DATABASE_URL" -q -v engineer="${BENCH_ENGINEER:-bulk_engineer_001}" -f benchmarks/bench_clocks.sql -At \
        | sed 's/^/   incident clocks: /'
fi

echo "== load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== gunicorn: $WORKERS workers × $THREADS threads on 127.0.0.1:$PORT (DEBUG off)"
.venv/bin/gunicorn opsdesk.wsgi -w "$WORKERS" --threads "$THREADS" -b "127.0.0.1:$PORT" --log-level warning &
GUNICORN_PID=$!
trap 'kill "$GUNICORN_PID" 2>/dev/null; wait "$GUNICORN_PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do
    curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
    sleep 0.5
done

echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GB RAM; $(psql "$DATABASE_URL" -Atc 'SELECT version()' | cut -d, -f1)"
echo "== incidents: $(psql "$DATABASE_URL" -Atc "SELECT count(*) FROM incidents_incident")"
$PY benchmarks/bench_http.py --base-url "http://127.0.0.1:$PORT" "$@"
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
