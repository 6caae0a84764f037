"""Backup and restore of the desk (docs/operations.md, "Disaster recovery").

A backup directory holds:
- `database.dump` (PostgreSQL, `pg_dump --format=custom`) or `database.sqlite3` (SQLite online
  backup API: a consistent copy even while web and workers write);
- `media/`: every uploaded file, and `media.sha256` (one line per file);
- `anchors.json`: the daily audit anchors (tickets/anchors.py) — the digests customers hold —
  written outside the database, so a restore can prove the restored history still recomputes to them;
- `manifest.json`: format, time, engine, the row count of every table and the file count.

On PostgreSQL the row counts, the anchors and the dump read ONE snapshot (pg_export_snapshot +
`pg_dump --snapshot`), so the counts are exactly what the dump holds, even under load.

Restore goes into an EMPTY database (no table in it; `--force` to overwrite), copies the files back,
then verifies: every row count of the manifest, every file's SHA-256, every anchor against the
stored one and against the history (recomputed), and every chain (`verify_audit`: ticket events,
document history, anchors). Anything that differs fails the restore (exit code 1)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

FORMAT = "opsdesk-backup-v1"
MANIFEST = "manifest.json"
ANCHORS = "anchors.json"
MEDIA_DIR = "media"
MEDIA_SUMS = "media.sha256"
PG_DUMP = "database.dump"
SQLITE_COPY = "database.sqlite3"


class BackupError(Exception):
    pass


def _tables() -> list[str]:
    """Every table of an installed model (concrete, managed), sorted."""
    names = {m._meta.db_table for m in apps.get_models(include_auto_created=True)
             if m._meta.managed and not m._meta.proxy}
    return sorted(names)


def row_counts(tables: list[str] | None = None) -> dict[str, int]:
    """Rows per table: every installed model's table, or the given ones (those that exist)."""
    existing = set(connection.introspection.table_names())
    counts: dict[str, int] = {}
    with connection.cursor() as cursor:
        for table in tables if tables is not None else _tables():
            if table not in existing:
                continue
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608 - model tables
            counts[table] = int(cursor.fetchone()[0])
    return counts


def anchors_export() -> list[dict[str, Any]]:
    from tickets.models import AuditAnchor

    return [{"organization": code, "day": day.isoformat(), "digest": digest, "prev_digest": prev}
            for code, day, digest, prev in AuditAnchor.objects.order_by("organization__code", "day").values_list(
                "organization__code", "day", "digest", "prev_digest")]


def _pg_env() -> tuple[list[str], dict[str, str]]:
    db = connection.settings_dict
    args = ["--dbname", str(db["NAME"])]
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def _run(cmd: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{cmd[0]} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


def _files(root: Path) -> Iterator[Path]:
    if root.is_dir():
        for path in sorted(root.rglob("*")):
            if path.is_file():
                yield path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def media_copy(source: Path, target: Path) -> dict[str, str]:
    """Copy every file under `source` to `target`; {relative path: sha256}."""
    sums: dict[str, str] = {}
    for path in _files(source):
        rel = path.relative_to(source)
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dest)
        sums[rel.as_posix()] = _sha256(dest)
    return sums


def backup(directory: Path) -> dict[str, Any]:
    """Write a backup of the database, the uploaded files and the audit anchors into `directory`
    (which must not exist or be empty). Returns the manifest."""
    if directory.exists() and any(directory.iterdir()):
        raise BackupError(f"{directory} is not empty")
    directory.mkdir(parents=True, exist_ok=True)
    vendor = connection.vendor
    manifest: dict[str, Any] = {"format": FORMAT, "created_at": timezone.now().isoformat(), "engine": vendor}
    if vendor == "postgresql":
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot = cursor.fetchone()[0]
            counts, anchors = row_counts(), anchors_export()
            args, env = _pg_env()
            # The dump reads the snapshot the counts were taken in (held open until it finishes).
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
                  "--file", str(directory / PG_DUMP), *args], env)
        manifest["database"] = PG_DUMP
    elif vendor == "sqlite":
        source = sqlite3.connect(str(connection.settings_dict["NAME"]))
        target = sqlite3.connect(str(directory / SQLITE_COPY))
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        counts, anchors = _sqlite_counts(directory / SQLITE_COPY), anchors_export()
        manifest["database"] = SQLITE_COPY
    else:
        raise BackupError(f"unsupported database engine: {vendor}")
    sums = media_copy(Path(settings.MEDIA_ROOT), directory / MEDIA_DIR)
    (directory / MEDIA_SUMS).write_text("".join(f"{digest}  {rel}\n" for rel, digest in sorted(sums.items())))
    (directory / ANCHORS).write_text(json.dumps(anchors, indent=1, ensure_ascii=False))
    manifest.update(tables=counts, media_files=len(sums), anchors=len(anchors))
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
    return manifest


def _sqlite_counts(path: Path) -> dict[str, int]:
    con = sqlite3.connect(str(path))
    try:
        existing = {row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        return {t: int(con.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0])  # noqa: S608
                for t in _tables() if t in existing}
    finally:
        con.close()


def database_is_empty() -> bool:
    return not connection.introspection.table_names()


@dataclass
class RestoreReport:
    problems: list[str] = field(default_factory=list)
    tables: int = 0
    rows: int = 0
    files: int = 0
    anchors: int = 0


def restore(directory: Path, *, force: bool = False) -> dict[str, Any]:
    """Load the database and the files of a backup. Raises BackupError when the target is not empty
    (without `force`) or the backup is incomplete. Verification is `restore_verify`."""
    manifest_path = directory / MANIFEST
    if not manifest_path.is_file():
        raise BackupError(f"{manifest_path} is missing: not a backup directory")
    manifest = json.loads(manifest_path.read_text())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    if manifest["engine"] != connection.vendor:
        raise BackupError(f"the backup is of a {manifest['engine']} database, this one is {connection.vendor}")
    if not database_is_empty() and not force:
        raise BackupError("the database is not empty (restore goes into an empty database; --force overwrites it)")
    media_root = Path(settings.MEDIA_ROOT)
    if any(_files(media_root)) and not force:
        raise BackupError(f"MEDIA_ROOT {media_root} already holds files (--force overwrites them)")
    if connection.vendor == "postgresql":
        args, env = _pg_env()
        connection.close()
        cmd = ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error"]
        if force:
            cmd += ["--clean", "--if-exists"]
        _run([*cmd, *args, str(directory / PG_DUMP)], env)
    else:
        target = Path(str(connection.settings_dict["NAME"]))
        connection.close()
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        shutil.copy2(directory / SQLITE_COPY, target)
    media_copy(directory / MEDIA_DIR, media_root)
    return manifest


def restore_verify(directory: Path, manifest: dict[str, Any]) -> RestoreReport:
    """Compare the restored desk with the backup's manifest, file sums and anchors."""
    from tickets.anchors import audit_anchor_verify
    from tickets.models import AuditAnchor

    report = RestoreReport()
    counts = row_counts(sorted(manifest["tables"]))  # what the backup had, installed here or not
    for table, expected in sorted(manifest["tables"].items()):
        got = counts.get(table)
        report.tables += 1
        report.rows += int(expected)
        if got != expected:
            report.problems.append(f"table {table}: {got} rows, the backup recorded {expected}")
    media_root = Path(settings.MEDIA_ROOT)
    for line in (directory / MEDIA_SUMS).read_text().splitlines():
        digest, _sep, rel = line.partition("  ")
        path = media_root / rel
        report.files += 1
        if not path.is_file():
            report.problems.append(f"file {rel}: missing")
        elif _sha256(path) != digest:
            report.problems.append(f"file {rel}: content differs")
    if report.files != manifest["media_files"]:
        report.problems.append(f"{report.files} files listed, the manifest recorded {manifest['media_files']}")
    stored = {(a["organization"], a["day"]): a for a in json.loads((directory / ANCHORS).read_text())}
    restored = {(code, day.isoformat()): anchor for code, day, anchor in
                ((a.organization.code, a.day, a) for a in AuditAnchor.objects.select_related("organization"))}
    if set(stored) != set(restored):
        report.problems.append(f"anchors: {len(restored)} restored, {len(stored)} in the backup")
    for key, anchor in sorted(restored.items()):
        report.anchors += 1
        held = stored.get(key)
        if held is not None and (held["digest"], held["prev_digest"]) != (anchor.digest, anchor.prev_digest):
            report.problems.append(f"anchor {key[0]} {key[1]}: differs from the backup's copy")
        if not audit_anchor_verify(anchor=anchor).ok:
            report.problems.append(f"anchor {key[0]} {key[1]}: the restored history does not recompute to it")
    return report
