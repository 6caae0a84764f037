"""The reporting replica against a real PostgreSQL streaming standby: the test starts a temp primary and
a pg_basebackup standby of it (the machine's server need not allow replication), loads the project's
schema, and runs tests/replica/probe.py with DATABASE_URL / DATABASE_REPLICA_URL pointing at them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from . import pgcluster

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def clusters(django_db_setup, django_db_blocker, db):  # db: the test database exists even when run alone
    from django.db import connection

    # The test database pytest-django made (its name, with any xdist suffix, from Django's TEST settings).
    test_db = connection.settings_dict["NAME"]
    if not test_db.startswith("test_"):
        test_db = connection.creation._get_test_db_name()
    src = connection.settings_dict
    schema = subprocess.run(
        [str(pgcluster.pg_bin() / "pg_dump"), "-h", src["HOST"] or "127.0.0.1", "-p", str(src["PORT"] or 5432),
         "-U", src["USER"] or "postgres", "--schema-only", "--no-owner", "--no-privileges", test_db],
        capture_output=True, text=True, timeout=120, check=True,
        env={**os.environ, "PGPASSWORD": src.get("PASSWORD") or ""}).stdout
    assert "CREATE TABLE public.accounts_organization" in schema, (test_db, schema[:500])
    base = pgcluster.make_base()
    primary = replica = None
    try:
        primary = pgcluster.start_primary(base)
        primary.psql("CREATE DATABASE opsdesk")
        primary.load(schema, "opsdesk")
        replica = pgcluster.start_replica(base, primary)
        yield primary, replica
    finally:
        for cluster in (replica, primary):
            if cluster is not None:
                cluster.stop()
        shutil.rmtree(base, ignore_errors=True)


def test_reports_read_the_replica_and_writes_go_to_the_primary(clusters, tmp_path):
    primary, replica = clusters
    env = {**os.environ, "DATABASE_URL": primary.url("opsdesk"), "DATABASE_REPLICA_URL": replica.url("opsdesk"),
           "DJANGO_SETTINGS_MODULE": "opsdesk.settings", "OTP_ENFORCED": "0", "AXES_ENABLED": "0",
           "CELERY_TASK_ALWAYS_EAGER": "1", "OPSDESK_VAR_DIR": str(tmp_path), "DB_CONN_MAX_AGE": "0"}
    env.pop("PYTEST_XDIST_WORKER", None)
    # Health re-checked on every reporting read, so the probe sees a change of state at once.
    env["REPLICA_HEALTH_SECONDS"] = "0"

    def probe(*args: str) -> dict:
        result = subprocess.run([sys.executable, "-m", "tests.replica.probe", *args], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-4000:]
        return json.loads(result.stdout.strip().splitlines()[-1])

    seen = probe()
    assert seen["replica_in_recovery"] is True and seen["primary_in_recovery"] is False
    # Replay paused: the incident is on the primary only, and the report pages do not show it yet.
    assert seen["incident_on_primary"] is True and seen["incident_on_replica"] is False
    assert seen["dashboard_status"] == 200
    assert seen["dashboard_open_total_paused"] == 0
    assert seen["dashboard_as_of"] is True and seen["dashboard_says_as_of"] is True
    assert seen["export_rows_paused"] == 0
    # The export's second sheet and the PDF say how fresh the copy is.
    assert seen["export_says_as_of"] is True and seen["pdf_says_as_of"] is True
    assert seen["alias_outside_request"] == "replica" and seen["reporting_read_sees_incident"] is False
    # Writes (even inside reporting_reads) go to the primary.
    assert seen["write_on_primary"] is True and seen["write_on_replica"] is False
    # In a transaction, or after a write in the same request, reads stay on the primary.
    assert seen["alias_in_transaction"] == "default" and seen["transaction_read_sees_incident"] is True
    assert seen["alias_in_request_before_write"] == "replica"
    assert seen["alias_in_request_after_write"] == "default" and seen["after_write_read_sees_incident"] is True
    # Lagging more than REPLICA_MAX_LAG_SECONDS: the primary is read (the incident counts, no "as of").
    assert seen["lagging_alias"] == "default"
    assert seen["lagging_open_total"] == 1 and seen["lagging_as_of_none"] is True
    # Replay resumed: the dashboard catches up, and says how fresh it is.
    assert seen["dashboard_open_total_resumed"] == 1 and seen["as_of_recent"] is True

    # The replica goes away: reports, dashboards and exports fall back to the primary, nothing fails.
    replica.stop()
    down = probe("down")
    assert down["down_dashboard_status"] == 200 and down["down_alias"] == "default"
    assert down["down_dashboard_open_total"] == 1 and down["down_as_of_none"] is True
    assert down["down_export_rows"] == 1 and down["down_export_about"] == []
    assert down["down_seconds"] < 30


def test_without_a_replica_everything_reads_the_primary(settings):
    from opsdesk.replica import reporting_alias, reporting_as_of, reporting_reads

    assert "replica" not in settings.DATABASES
    with reporting_reads() as alias:
        assert alias == "default" == reporting_alias()
        assert reporting_as_of() is None
