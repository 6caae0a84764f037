#!/bin/sh
# Nagios / Icinga notify command → OpsDesk's generic events endpoint.
# OpsDesk identifies the alert by host/service: PROBLEM opens (or counts on) the incident,
# RECOVERY records the restoration. Needs curl.
#
#   notify_opsdesk.sh -u https://opsdesk.example.com -t <secret> -H <host> [-S <service>] \
#                     -s <state> [-o <output>] [-n <notification type>]
#
# Nagios commands.cfg (put the secret in resource.cfg as $USER10$):
#   define command {
#     command_name notify-service-opsdesk
#     command_line /usr/local/bin/notify_opsdesk.sh -u https://opsdesk.example.com -t '$USER10$' \
#       -H '$HOSTNAME$' -S '$SERVICEDESC$' -s '$SERVICESTATE$' -o '$SERVICEOUTPUT$' -n '$NOTIFICATIONTYPE$'
#   }
#   define command {
#     command_name notify-host-opsdesk
#     command_line /usr/local/bin/notify_opsdesk.sh -u https://opsdesk.example.com -t '$USER10$' \
#       -H '$HOSTNAME$' -s '$HOSTSTATE$' -o '$HOSTOUTPUT$' -n '$NOTIFICATIONTYPE$'
#   }
# Icinga 2: the same arguments from a NotificationCommand (host.name, service.name, service.state…).
set -eu

url="" token="" host="" service="" state="" output="" ntype=""
while getopts "u:t:H:S:s:o:n:" opt; do
  case "$opt" in
    u) url=$OPTARG ;; t) token=$OPTARG ;; H) host=$OPTARG ;; S) service=$OPTARG ;;
    s) state=$OPTARG ;; o) output=$OPTARG ;; n) ntype=$OPTARG ;;
    *) echo "usage: $0 -u URL -t SECRET -H HOST [-S SERVICE] -s STATE [-o OUTPUT] [-n TYPE]" >&2; exit 3 ;;
  esac
done
if [ -z "$url" ] || [ -z "$token" ] || [ -z "$host" ] || [ -z "$state" ]; then
  echo "notify_opsdesk: -u, -t, -H and -s are required" >&2
  exit 3
fi
# Acknowledgements, downtimes and flapping notices are not state changes: nothing to send.
case "$ntype" in
  ACKNOWLEDGEMENT|DOWNTIME*|FLAPPING*|CUSTOM) exit 0 ;;
esac

json_escape() {  # a JSON string body: backslash, quote, and control characters
  printf '%s' "$1" | awk 'BEGIN { ORS = "" } {
    gsub(/\\/, "\\\\"); gsub(/"/, "\\\""); gsub(/\t/, "\\t"); gsub(/\r/, "\\r");
    if (NR > 1) print "\\n"; print }'
}

body=$(printf '{"host":"%s","service":"%s","state":"%s","output":"%s","tags":{"source":"nagios"}}' \
  "$(json_escape "$host")" "$(json_escape "$service")" "$(json_escape "$state")" "$(json_escape "$output")")

response=$(curl -sS --max-time 15 -w '\n%{http_code}' -X POST \
  -H "Content-Type: application/json" -H "Authorization: Bearer $token" \
  --data-binary "$body" "${url%/}/api/v1/integrations/events/") || { echo "notify_opsdesk: $url unreachable" >&2; exit 2; }
code=$(printf '%s' "$response" | tail -n 1)
answer=$(printf '%s' "$response" | sed '$d')
if [ "$code" != "200" ]; then
  echo "notify_opsdesk: OpsDesk answered HTTP $code: $answer" >&2
  exit 2
fi
echo "$answer"
