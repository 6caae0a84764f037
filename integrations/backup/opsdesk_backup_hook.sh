#!/bin/sh
# Report one backup run to OpsDesk (POST /api/v1/assurance/backup-runs/report/). Needs curl.
# Call it right after the backup command with that command's exit status (0 = ok, else failed):
#
#   OPSDESK_URL=https://opsdesk.example.com OPSDESK_BACKUP_TOKEN=<job token> \
#     opsdesk_backup_hook.sh $? [message] [size in bytes] [started at, ISO 8601]
#
# crontab, one line:
#   30 2 * * * rsync -a --delete /data/ backup01:/srv/backup/data/ >/tmp/rsync.log 2>&1; OPSDESK_URL=https://opsdesk.example.com OPSDESK_BACKUP_TOKEN=xxxx /usr/local/bin/opsdesk_backup_hook.sh $? "$(tail -c 1000 /tmp/rsync.log)"
#
# The token is the backup job's own (shown once when the job is created or its token renewed on
# the job's page); it can report runs of that job only. A failed run opens (or counts on) the
# job's incident; a job that stops reporting is found by the beat sweep (interval + grace).
# Exit status: 0 reported, 2 usage, 3 OpsDesk refused or could not be reached.
set -eu

status=${1:-}
message=${2:-}
size=${3:-}
started=${4:-}
if [ -z "${OPSDESK_URL:-}" ] || [ -z "${OPSDESK_BACKUP_TOKEN:-}" ] || [ -z "$status" ]; then
  echo "usage: OPSDESK_URL=... OPSDESK_BACKUP_TOKEN=... $0 <exit status> [message] [size bytes] [started ISO]" >&2
  exit 2
fi
if [ "$status" = "0" ]; then outcome=ok; else outcome=failed; fi

json_escape() {  # a JSON string body: backslash, quote and control characters
  printf '%s' "$1" | tr -d '\000-\010\013-\037' | tr '\011' ' ' | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' \
    | awk 'BEGIN { ORS = "" } { if (NR > 1) print "\\n"; print }'
}

body="{\"outcome\":\"$outcome\",\"message\":\"$(json_escape "$message")\""
case "$size" in
  ''|*[!0-9]*) ;;
  *) body="$body,\"size_bytes\":$size" ;;
esac
if [ -n "$started" ]; then
  body="$body,\"started_at\":\"$(json_escape "$started")\",\"finished_at\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\""
fi
body="$body}"

if ! curl -fsS --max-time 30 --retry 3 -o /dev/null \
     -H "Authorization: Bearer $OPSDESK_BACKUP_TOKEN" -H "Content-Type: application/json" \
     --data-binary "$body" "${OPSDESK_URL%/}/api/v1/assurance/backup-runs/report/?via=hook"; then
  echo "opsdesk_backup_hook: OpsDesk did not accept the report" >&2
  exit 3
fi
