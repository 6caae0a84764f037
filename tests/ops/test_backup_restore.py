"""Backup and restore of the desk (issue 17): `manage.py backup` on this test's PostgreSQL database,
then `manage.py restore` (a real subprocess) into a FRESH PostgreSQL database created on the same
server and an empty media directory: every row count, file, anchor and chain verifies. A non-empty
target is refused; a backup whose manifest does not match what it holds fails the restore."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from accounts.choices import Role
from documents.services import document_create, document_version_add
from incidents.services import incident_create
from tests.factories import OrganizationFactory, UserFactory
from tickets.anchors import audit_anchor_create
from tickets.models import AuditAnchor, TicketEvent

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)


def _server_url(name: str) -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


@pytest.fixture
def restore_db():
    """A fresh, empty database on the same server (dropped afterwards)."""
    if connection.vendor != "postgresql":
        pytest.skip("the restore test needs PostgreSQL (DATABASE_URL)")
    name = f"{connection.settings_dict['NAME']}_restore"[:63]
    admin = psycopg.connect(_server_url("postgres"), autocommit=True)
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.execute(f'CREATE DATABASE "{name}"')
    yield _server_url(name)
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def _restore(url: str, media: Path, directory: Path, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url, "MEDIA_ROOT": str(media), "LOG_FORMAT": "text"}
    return subprocess.run([sys.executable, "manage.py", "restore", str(directory), *extra],  # noqa: S603
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)


def _desk(settings, tmp_path):
    org = OrganizationFactory(name="Backup Org", code="backup")
    boss = UserFactory(username="backup_boss", role=Role.MANAGER)
    docadmin = UserFactory(username="backup_docs", role=Role.DOC_ADMIN)
    now = timezone.now()
    yesterday = now - timedelta(days=1)
    for i in range(3):
        incident_create(actor=boss, organization=org, title=f"Backup {i}", impact="low", urgency="low",
                        now=yesterday - timedelta(hours=i))
    doc = document_create(actor=docadmin, organization=org, title="Runbook", category="circuit_data", now=now)
    document_version_add(document_id=doc.pk, actor=docadmin, now=now, version=None, note="",
                         upload=SimpleUploadedFile("runbook.txt", "第一版 runbook".encode(), content_type="text/plain"))
    anchor = audit_anchor_create(organization=org, day=timezone.localdate(yesterday), now=now)
    return anchor


def test_backup_then_restore_into_a_fresh_database_verifies(settings, tmp_path, restore_db):
    anchor = _desk(settings, tmp_path)
    assert TicketEvent.objects.count() >= 3 and anchor.tickets == 3
    target = tmp_path / "backup"
    call_command("backup", str(target))
    manifest = json.loads((target / "manifest.json").read_text())
    assert manifest["engine"] == "postgresql" and manifest["media_files"] == 1 and manifest["anchors"] == 1
    assert manifest["tables"]["tickets_ticketevent"] == TicketEvent.objects.count()
    anchors = json.loads((target / "anchors.json").read_text())
    assert anchors == [{"organization": "backup", "day": anchor.day.isoformat(), "digest": anchor.digest,
                        "prev_digest": anchor.prev_digest}]

    media = tmp_path / "restored-media"
    done = _restore(restore_db, media, target)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Restored and verified" in done.stdout and "all chains intact" in done.stdout
    assert [p.read_bytes() for p in media.rglob("*.txt")] == ["第一版 runbook".encode()]
    with psycopg.connect(restore_db) as con:
        assert con.execute("SELECT COUNT(*) FROM tickets_ticketevent").fetchone()[0] == TicketEvent.objects.count()
        assert con.execute("SELECT digest FROM tickets_auditanchor").fetchone()[0] == AuditAnchor.objects.get().digest

    # Into a database that is not empty any more: refused, nothing touched.
    again = _restore(restore_db, tmp_path / "other-media", target)
    assert again.returncode != 0 and "not empty" in again.stderr


def test_a_restore_that_does_not_match_the_backup_fails(settings, tmp_path, restore_db):
    anchor = _desk(settings, tmp_path)
    target = tmp_path / "backup"
    call_command("backup", str(target))
    # The copy of the anchor customers hold says something else than the restored history.
    anchors = json.loads((target / "anchors.json").read_text())
    anchors[0]["digest"] = "0" * 64
    (target / "anchors.json").write_text(json.dumps(anchors))
    manifest = json.loads((target / "manifest.json").read_text())
    manifest["tables"]["incidents_incident"] += 1
    (target / "manifest.json").write_text(json.dumps(manifest))
    done = _restore(restore_db, tmp_path / "restored-media", target)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "table incidents_incident: 3 rows, the backup recorded 4" in done.stdout
    assert f"anchor backup {anchor.day.isoformat()}: differs from the backup's copy" in done.stdout
