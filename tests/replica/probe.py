"""Run by tests/replica/test_replica.py in a subprocess whose DATABASE_URL is a temp primary and whose
DATABASE_REPLICA_URL is its streaming standby (settings make the "replica" alias from it). Prints one JSON
line of observations; the test asserts on them. Replay on the standby is paused at the start, so what the
primary gets afterwards is visible on the primary only, until replay resumes.

`python -m tests.replica.probe down`: the test has stopped the standby; the reporting pages must fall
back to the primary."""

from __future__ import annotations

import io
import json
import os
import sys
import time
from datetime import timedelta

import django
from openpyxl import load_workbook

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.db import connections, transaction  # noqa: E402
from django.template.loader import render_to_string  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.choices import Role  # noqa: E402
from accounts.models import Organization, User  # noqa: E402
from incidents.models import Incident  # noqa: E402
from incidents.services import incident_create  # noqa: E402
from opsdesk.replica import _wrote, reporting_alias, reporting_reads  # noqa: E402
from reports.services import report_build, report_request  # noqa: E402


def on(alias: str, sql: str) -> object:
    with connections[alias].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def wait_replayed(check: str) -> None:
    deadline = time.monotonic() + 30
    while not on("replica", check):
        if time.monotonic() > deadline:
            raise SystemExit("the replica never caught up")
        time.sleep(0.1)


def export_rows(client: Client) -> tuple[int, list[str]]:
    export = client.get("/reports/export/incidents.xlsx")
    book = load_workbook(io.BytesIO(b"".join(export.streaming_content)), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    about = [str(r[0]) for ws in book.worksheets[1:] for r in ws.iter_rows(values_only=True)]
    return len(rows) - 1, about  # without the header


setup_test_environment()  # the test client records each response's template context
out: dict[str, object] = {}
if sys.argv[1:] == ["down"]:
    manager = User.objects.get(username="pm-replica")
    client = Client()
    client.force_login(manager)
    began = time.monotonic()
    page = client.get("/reports/dashboard/")
    out["down_dashboard_status"] = page.status_code
    out["down_dashboard_open_total"] = page.context["d"]["open_total"]
    out["down_as_of_none"] = page.context["data_as_of"] is None
    out["down_export_rows"], out["down_export_about"] = export_rows(client)
    out["down_alias"] = reporting_alias()
    out["down_seconds"] = round(time.monotonic() - began, 1)
    print(json.dumps(out))
    raise SystemExit(0)
now = timezone.now()
org = Organization.objects.create(name="Replica Org", code="replica-org")
manager = User.objects.create(username="pm-replica", role=Role.MANAGER)
wait_replayed(f"SELECT EXISTS (SELECT 1 FROM accounts_user WHERE id = {manager.pk})")
out["replica_in_recovery"] = on("replica", "SELECT pg_is_in_recovery()")
out["primary_in_recovery"] = on("default", "SELECT pg_is_in_recovery()")

on("replica", "SELECT pg_wal_replay_pause()")
incident = incident_create(actor=manager, organization=org, title="Only on the primary yet", now=now)
out["incident_on_primary"] = Incident.objects.filter(pk=incident.pk).exists()
out["incident_on_replica"] = on("replica", f"SELECT EXISTS (SELECT 1 FROM incidents_incident WHERE id = {incident.pk})")

client = Client()
client.force_login(manager)
page = client.get("/reports/dashboard/")
out["dashboard_status"] = page.status_code
out["dashboard_open_total_paused"] = page.context["d"]["open_total"]
out["dashboard_as_of"] = page.context["data_as_of"] is not None
out["dashboard_says_as_of"] = "data-as-of" in page.content.decode()
out["export_rows_paused"], about = export_rows(client)
out["export_says_as_of"] = any("reporting copy" in line for line in about)
run = report_request(actor=manager, kind="monthly_fault_summary", period=timezone.localdate(now).strftime("%Y-%m"),
                     organization=org, options=None, language="en", now=now)
kind, context = report_build(run, now=now)
out["pdf_says_as_of"] = 'class="data-as-of"' in render_to_string(kind.template, context)

# The router itself: reads inside reporting_reads() use the replica, except in a transaction or after a
# write in the same request; writes always go to the primary.
with reporting_reads() as alias:
    out["alias_outside_request"] = alias
    out["reporting_read_sees_incident"] = Incident.objects.filter(pk=incident.pk).exists()
    written = Organization.objects.create(name="Written in reporting_reads", code="written-rr")
out["write_on_primary"] = on("default", f"SELECT EXISTS (SELECT 1 FROM accounts_organization WHERE id = {written.pk})")
out["write_on_replica"] = on("replica", f"SELECT EXISTS (SELECT 1 FROM accounts_organization WHERE id = {written.pk})")
with transaction.atomic(), reporting_reads() as alias:
    out["alias_in_transaction"] = alias
    out["transaction_read_sees_incident"] = Incident.objects.filter(pk=incident.pk).exists()
token = _wrote.set([False])  # what ReplicaPinMiddleware does for a request
try:
    out["alias_in_request_before_write"] = reporting_alias()
    Incident.objects.filter(pk=incident.pk).update(title="Edited in this request")
    with reporting_reads() as alias:
        out["alias_in_request_after_write"] = alias
        out["after_write_read_sees_incident"] = Incident.objects.filter(pk=incident.pk).exists()
finally:
    _wrote.reset(token)

# A replica that lags more than REPLICA_MAX_LAG_SECONDS is not used: replay is paused and the last commit
# it replayed is seconds old, so with a 1-second limit the dashboard reads the primary (live, no "as of").
settings.REPLICA_MAX_LAG_SECONDS = 1
time.sleep(2.5)
page = client.get("/reports/dashboard/")
out["lagging_alias"] = reporting_alias()
out["lagging_open_total"] = page.context["d"]["open_total"]
out["lagging_as_of_none"] = page.context["data_as_of"] is None
settings.REPLICA_MAX_LAG_SECONDS = 300

on("replica", "SELECT pg_wal_replay_resume()")
wait_replayed(f"SELECT EXISTS (SELECT 1 FROM incidents_incident WHERE id = {incident.pk})")
page = client.get("/reports/dashboard/")
out["dashboard_open_total_resumed"] = page.context["d"]["open_total"]
as_of = page.context["data_as_of"]
out["as_of_recent"] = as_of is not None and abs(timezone.now() - as_of) < timedelta(minutes=5)
print(json.dumps(out))
