"""Run by tests/replica/test_replica.py in a subprocess whose DATABASE_URL is a temp primary and whose
DATABASE_REPLICA_URL is its streaming standby (settings make the "replica" alias from it). Prints one JSON
line of observations; the test asserts on them. Replay on the standby is paused at the start, so what the
primary gets afterwards is visible on the primary only, until replay resumes."""

from __future__ import annotations

import io
import json
import os
import time
from datetime import timedelta

import django
from openpyxl import load_workbook

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.settings")
django.setup()

from django.db import connections, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.choices import Role  # noqa: E402
from accounts.models import Organization, User  # noqa: E402
from incidents.models import Incident  # noqa: E402
from incidents.services import incident_create  # noqa: E402
from opsdesk.replica import _wrote, reporting_alias, reporting_reads  # noqa: E402


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


setup_test_environment()  # the test client records each response's template context
out: dict[str, object] = {}
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
export = client.get("/reports/export/incidents.xlsx")
rows = list(load_workbook(io.BytesIO(b"".join(export.streaming_content)), read_only=True).active.iter_rows(
    values_only=True))
out["export_rows_paused"] = len(rows) - 1  # without the header

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

on("replica", "SELECT pg_wal_replay_resume()")
wait_replayed(f"SELECT EXISTS (SELECT 1 FROM incidents_incident WHERE id = {incident.pk})")
page = client.get("/reports/dashboard/")
out["dashboard_open_total_resumed"] = page.context["d"]["open_total"]
as_of = page.context["data_as_of"]
out["as_of_recent"] = as_of is not None and abs(timezone.now() - as_of) < timedelta(minutes=5)
print(json.dumps(out))
