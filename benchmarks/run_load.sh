#!/usr/bin/env bash
# The "operations at scale" load run (issue 17): 2 gunicorn worker processes + 2 Celery workers +
# 2 Celery beats (Redis broker) against DATABASE_URL, locust headless for DURATION with USERS
# simulated operators, dispatchers, engineers and customers, the SLA sweep lag sampled every
# LAG_EVERY seconds; prints p50/p95 per request type, errors and the maximum lag
# (benchmarks/load_report.py). The database is seeded beforehand with seed_bulk (run_http_bench.sh
# shows how: `manage.py seed_bulk --incidents 1000000`); this script adds the customer logins.
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/opsdesk_bench benchmarks/run_load.sh
#   DURATION=30s USERS=10 DATABASE_URL=... REDIS_URL=redis://127.0.0.1:6379/5 benchmarks/run_load.sh
#
# LIVE_CLOCKS (default 600) restore clocks of open incidents are made to breach evenly during the run
# (benchmarks/load_clocks.sql), so the sweep has real work while the lag is sampled.
#
# Needs: locust (pip install -r benchmarks/requirements.txt), psql, a Redis server.
set -euo pipefail
cd "$(dirname "$0")/.."

: "${DATABASE_URL:?set DATABASE_URL to the seeded PostgreSQL database}"
export DATABASE_URL
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
export CELERY_BROKER_URL=${CELERY_BROKER_URL:-$REDIS_URL}
export CELERY_TASK_DEFAULT_QUEUE=${CELERY_TASK_DEFAULT_QUEUE:-load-$$}
DURATION=${DURATION:-5m}
USERS=${USERS:-50}
SPAWN_RATE=${SPAWN_RATE:-5}
PORT=${PORT:-8012}
LAG_EVERY=${LAG_EVERY:-2}
OUT=${OUT:-$(mktemp -d /tmp/opsdesk-load.XXXXXX)}
unset DEBUG
export API_THROTTLE_USER=${API_THROTTLE_USER:-1000000/min} API_THROTTLE_ANON=${API_THROTTLE_ANON:-1000000/min}
export AXES_ENABLED=${AXES_ENABLED:-0}
export LOG_LEVEL=${LOG_LEVEL:-ERROR}
export PROMETHEUS_MULTIPROC_DIR="$OUT/prometheus"
mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
PY=.venv/bin/python
BIN=.venv/bin
command -v "$BIN/locust" >/dev/null || { echo "locust missing: pip install -r benchmarks/requirements.txt" >&2; exit 2; }

echo "== output in $OUT"
$PY manage.py migrate --noinput -v0
echo "== customer logins (bulk_customer_NN, one organisation each) and engineers"
ENGINEERS=$($PY manage.py shell -v0 -c "
from django.contrib.auth.hashers import make_password
from accounts.models import Organization, User
orgs = list(Organization.objects.filter(code__startswith='bulk-org-').order_by('code')[:5]) or list(Organization.objects.order_by('pk')[:5])
pw = make_password('${OPSDESK_BENCH_PASSWORD:-opsdesk-demo-2026}')
for i, org in enumerate(orgs, 1):
    User.objects.update_or_create(username=f'bulk_customer_{i:02d}', defaults={'role': 'customer', 'organization': org, 'password': pw, 'name': f'Customer {i}'})
print(User.objects.filter(username__startswith='bulk_engineer_').count())
")
export OPSDESK_BENCH_ENGINEERS=$ENGINEERS OPSDESK_BENCH_CUSTOMERS=5
echo "== API tokens issued before the run ($OUT/tokens.json); signing in is measured on its own below"
$PY manage.py shell -v0 -c "
import json
from rest_framework.authtoken.models import Token
from accounts.models import User
users = User.objects.filter(username__regex=r'^bulk_(operator|dispatcher|engineer_[0-9]+|customer_[0-9]+)$')
json.dump({u.username: Token.objects.get_or_create(user=u)[0].key for u in users}, open('$OUT/tokens.json', 'w'))
"
export OPSDESK_BENCH_TOKENS="$OUT/tokens.json"
echo "   $ENGINEERS engineers, 5 customers; incidents: $(psql "$DATABASE_URL" -Atc 'SELECT count(*) FROM incidents_incident')"

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM -- "-$p" 2>/dev/null || kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

echo "== 2 gunicorn workers on 127.0.0.1:$PORT, 2 Celery workers, 2 beats (queue prefix $CELERY_TASK_DEFAULT_QUEUE)"
setsid "$BIN/gunicorn" opsdesk.wsgi -w 2 -b "127.0.0.1:$PORT" --log-level warning >"$OUT/gunicorn.log" 2>&1 &
pids+=($!)
for i in 1 2; do
  setsid "$BIN/celery" -A opsdesk worker --pool solo -n "load$i-$$@%h" --loglevel WARNING \
    --without-gossip --without-mingle >"$OUT/worker$i.log" 2>&1 &
  pids+=($!)
  setsid "$BIN/celery" -A opsdesk beat --loglevel WARNING -s "$OUT/beat$i-schedule" >"$OUT/beat$i.log" 2>&1 &
  pids+=($!)
done
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.5
done

LAG_SQL="SELECT COALESCE(EXTRACT(EPOCH FROM now() - MIN(next_check_at)), 0) FROM tickets_slaclock WHERE next_check_at <= now()"
# Clocks that fell due while nothing ran (before this run) are a backlog, not lag under load: wait
# until the first sweeps have cleared it (at most 120 s) and say how big it was.
backlog=$(psql "$DATABASE_URL" -Atc "$LAG_SQL")
for _ in $(seq 1 120); do
  now_lag=$(psql "$DATABASE_URL" -Atc "$LAG_SQL")
  awk -v l="$now_lag" 'BEGIN { exit !(l < 15) }' && break
  sleep 1
done
echo "== SLA backlog before the run: ${backlog}s of lag; now ${now_lag}s"
LIVE_CLOCKS=${LIVE_CLOCKS:-600}
if (( LIVE_CLOCKS > 0 )); then
  case "$DURATION" in *m) secs=$(( ${DURATION%m} * 60 ));; *s) secs=${DURATION%s};; *h) secs=$(( ${DURATION%h} * 3600 ));; *) secs=$DURATION;; esac
  live=$(psql "$DATABASE_URL" -q -At -v n="$LIVE_CLOCKS" -v seconds="$secs" -f benchmarks/load_clocks.sql)
  echo "== live SLA clocks: $LIVE_CLOCKS restore clocks breach during the ${secs}s run (benchmarks/load_clocks.sql); running and not yet due: $live"
fi
echo "== SLA sweep lag sampled every ${LAG_EVERY}s into $OUT/lag.csv"
(
  echo "time,lag_seconds"
  while true; do
    lag=$(psql "$DATABASE_URL" -Atc "$LAG_SQL" 2>/dev/null || echo "")
    [ -n "$lag" ] && echo "$(date -u +%H:%M:%S),$lag"
    sleep "$LAG_EVERY"
  done
) >"$OUT/lag.csv" &
LAG_PID=$!

echo "== signing in (POST /api/v1/auth/token/, password hashing by design), 5 in a row before the run:"
for i in 1 2 3 4 5; do
  curl -s -o /dev/null -w "   %{http_code} %{time_total}s\n" -X POST -H 'Content-Type: application/json' \
    -d "{\"username\": \"bulk_customer_0$i\", \"password\": \"${OPSDESK_BENCH_PASSWORD:-opsdesk-demo-2026}\"}" \
    "http://127.0.0.1:$PORT/api/v1/auth/token/"
done
RUN_START=$(psql "$DATABASE_URL" -Atc "SELECT now()")
echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg); locust: $USERS users for $DURATION"
set +e
"$BIN/locust" -f benchmarks/locustfile.py --headless -u "$USERS" -r "$SPAWN_RATE" -t "$DURATION" \
  --host "http://127.0.0.1:$PORT" --csv "$OUT/locust" --only-summary --loglevel WARNING >"$OUT/locust.log" 2>&1
LOCUST_RC=$?
set -e
kill "$LAG_PID" 2>/dev/null || true
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== work done by the workers during the run: $(psql "$DATABASE_URL" -Atc "
  SELECT (SELECT count(*) FROM tickets_slaclock WHERE breached_at >= '$RUN_START') || ' clocks breached, '
      || (SELECT count(*) FROM tickets_slaclock WHERE state = 'running' AND next_check_at <= now()) || ' due and not yet swept, '
      || (SELECT count(*) FROM incidents_incident WHERE reported_at >= '$RUN_START') || ' incidents created'")"
$PY benchmarks/load_report.py "$OUT" --locust-rc "$LOCUST_RC"
