"""Backups: runs reported with the job's token (API and the shipped hook script against a real
server), a failure or a miss opening one incident per job (repeats counted, never duplicated),
the missed-run sweep idempotent, restore tests flagging stale jobs, and bad input → 400."""

from __future__ import annotations

import os
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from assurance.choices import RunOutcome
from assurance.models import BackupJob, BackupRun
from assurance.selectors import job_list
from assurance.services import (
    backup_failure_handle,
    backup_run_record,
    backups_sweep,
    restore_test_record,
    restore_test_schedule,
)
from incidents.models import Incident
from tickets.models import TicketEvent

from .conftest import at

ROOT = Path(__file__).resolve().parents[2]
REPORT = "/api/v1/assurance/backup-runs/report/"


@pytest.fixture
def eager_celery():
    from opsdesk.celery import app

    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = saved


@pytest.mark.django_db
def test_failed_run_opens_one_incident_and_repeats_count_on_it(job, eng):
    first = backup_run_record(job=job, actor=eng, outcome=RunOutcome.FAILED, started_at=at(2026, 3, 2, 2),
                              message="disk full", now=at(2026, 3, 2, 3))
    incident = backup_failure_handle(run_id=first.pk, now=at(2026, 3, 2, 3))
    assert incident is not None and incident.ci_id == job.ci_id and incident.organization_id == job.organization_id
    assert backup_failure_handle(run_id=first.pk, now=at(2026, 3, 2, 4)) is None  # idempotent per run
    second = backup_run_record(job=job, actor=eng, outcome=RunOutcome.FAILED, started_at=at(2026, 3, 3, 2),
                               now=at(2026, 3, 3, 3))
    again = backup_failure_handle(run_id=second.pk, now=at(2026, 3, 3, 3))
    assert again is not None and again.pk == incident.pk
    job.refresh_from_db()
    assert Incident.objects.filter(ci=job.ci).count() == 1
    assert job.incident_id == incident.pk and job.incident_repeats == 1
    assert BackupRun.objects.get(pk=second.pk).incident_id == incident.pk
    repeat = TicketEvent.objects.filter(ticket_id=incident.pk, data__backup__repeat=1)
    assert repeat.exists()
    # Once the incident is closed (here: resolved by status), the next failure opens a new one.
    Incident.objects.filter(pk=incident.pk).update(status="resolved")
    third = backup_run_record(job=job, actor=eng, outcome=RunOutcome.FAILED, started_at=at(2026, 3, 4, 2),
                              now=at(2026, 3, 4, 3))
    fresh = backup_failure_handle(run_id=third.pk, now=at(2026, 3, 4, 3))
    assert fresh is not None and fresh.pk != incident.pk


@pytest.mark.django_db
@pytest.mark.parametrize(("site_language", "expected"), [
    ("zh-hans", ("备份失败", "2026年3月2日 02:05", "自 2026年3月2日 08:00 以来")), ("en", ("Backup failed", "2 Mar 2026, 02:05", "since 2 Mar 2026, 08:00"))])
def test_backup_incidents_are_written_in_the_site_language_on_the_organisations_clock(
        job, eng, settings, site_language, expected):
    """The texts of a backup incident follow the monitoring intake's rule: the site's language
    (LANGUAGE_CODE) whatever the worker or the reporting request had active, and human times on the
    organisation's clock (Asia/Shanghai), never a raw UTC timestamp (found on first use: the demo's
    failed-backup incident read "… started 2026-12-05T23:33+00:00" in the Chinese UI)."""
    from django.utils import translation

    settings.LANGUAGE_CODE = site_language
    run = backup_run_record(job=job, actor=eng, outcome=RunOutcome.FAILED, started_at=at(2026, 3, 2, 2, 5),
                            message="disk full", now=at(2026, 3, 2, 3))
    with translation.override("en" if site_language == "zh-hans" else "zh-hans"):  # the request's language
        incident = backup_failure_handle(run_id=run.pk, now=at(2026, 3, 2, 3))
    assert incident is not None
    title, started, _missed = expected
    assert title in incident.title
    assert started in incident.description and "disk full" in incident.description
    assert "+00:00" not in incident.description and "T18:05" not in incident.description
    Incident.objects.filter(pk=incident.pk).update(status="closed")
    BackupJob.objects.filter(pk=job.pk).update(last_success_at=at(2026, 3, 2, 8))
    with translation.override("en" if site_language == "zh-hans" else "zh-hans"):
        assert backups_sweep(now=at(2026, 3, 3, 12)).missed_reported == 1
    job.refresh_from_db()
    assert expected[2] in job.incident.description and "+00:00" not in job.incident.description


@pytest.mark.django_db
def test_missed_backup_sweep_is_idempotent_across_two_sweeps(job, eng):
    # Created 1 March 08:00, a successful run every 24 h + 2 h grace: nothing is missed before 2 March 10:00.
    assert backups_sweep(now=at(2026, 3, 2, 9)).missed_reported == 0
    first = backups_sweep(now=at(2026, 3, 2, 11))
    second = backups_sweep(now=at(2026, 3, 2, 12))
    assert (first.missed_reported, second.missed_reported) == (1, 0)
    job.refresh_from_db()
    assert Incident.objects.filter(ci=job.ci).count() == 1 and job.incident_repeats == 0
    assert "missed" in job.incident.title.lower() or "错过" in job.incident.title or "未" in job.incident.title
    # A success, then silence again: the still-open incident counts the new miss (no duplicate).
    backup_run_record(job=job, actor=eng, outcome=RunOutcome.OK, started_at=at(2026, 3, 3, 1),
                      finished_at=at(2026, 3, 3, 2), now=at(2026, 3, 3, 2))
    assert backups_sweep(now=at(2026, 3, 4, 3)).missed_reported == 0  # 3 Mar 02:00 + 26 h = 4 Mar 04:00
    assert backups_sweep(now=at(2026, 3, 4, 5)).missed_reported == 1
    assert backups_sweep(now=at(2026, 3, 4, 6)).missed_reported == 0
    job.refresh_from_db()
    assert Incident.objects.filter(ci=job.ci).count() == 1 and job.incident_repeats == 1


@pytest.mark.django_db
def test_sweep_picks_up_a_failed_run_whose_task_was_lost(job, eng):
    run = backup_run_record(job=job, actor=eng, outcome=RunOutcome.FAILED, started_at=at(2026, 3, 1, 20),
                            now=at(2026, 3, 1, 21))
    summary = backups_sweep(now=at(2026, 3, 1, 22))
    assert summary.failed_handled == 1
    run.refresh_from_db()
    assert run.incident_id is not None and run.handled_at is not None
    assert backups_sweep(now=at(2026, 3, 1, 23)).failed_handled == 0


@pytest.mark.django_db
def test_restore_test_too_old_is_flagged(job, eng, settings):
    settings.ASSURANCE_RESTORE_MAX_AGE_DAYS = 30
    now = timezone.now()
    stale = {j.pk for j in job_list(user=eng, now=now, filters={"restore_stale": "true"})}
    assert job.pk in stale  # never tested
    test = restore_test_schedule(actor=eng, job=job, scheduled_for=(now - timedelta(days=10)).date(), now=now)
    restore_test_record(test_id=test.pk, actor=eng, passed=True, restored_what="配置库", check_method="启动并调阅",
                        duration_minutes=40, performed_at=now - timedelta(days=10), now=now)
    assert job.pk not in {j.pk for j in job_list(user=eng, now=now, filters={"restore_stale": "true"})}
    # 40 days later the same test is too old (site default 30); a per-job limit of 60 days keeps it fresh.
    later = now + timedelta(days=30)
    assert job.pk in {j.pk for j in job_list(user=eng, now=later, filters={"restore_stale": "true"})}
    BackupJob.objects.filter(pk=job.pk).update(restore_max_age_days=60)
    assert job.pk not in {j.pk for j in job_list(user=eng, now=later, filters={"restore_stale": "true"})}


@pytest.mark.django_db
def test_report_endpoint_takes_the_jobs_token_and_refuses_bad_input(api_client, job_token):
    job, token = job_token
    ok = api_client.post(REPORT, {"outcome": "ok", "size_bytes": 1024, "message": "done"}, format="json",
                         HTTP_AUTHORIZATION=f"Bearer {token}")
    assert ok.status_code == 201, ok.content
    job.refresh_from_db()
    assert job.last_success_at is not None and ok.json()["source"] == "api"
    assert api_client.post(REPORT, {"outcome": "ok"}, format="json",
                           HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert api_client.post(REPORT, {"outcome": "ok"}, format="json").status_code == 401
    for bad in ({"outcome": "maybe"}, {"outcome": "ok", "started_at": "yesterday"}, {"outcome": "ok", "size_bytes": -5},
                {"outcome": "ok", "started_at": "2026-03-02T10:00:00+08:00", "finished_at": "2026-03-01T10:00:00+08:00"},
                {"outcome": "ok", "started_at": "2099-01-01T00:00:00Z"}, ["ok"], {"outcome": ["ok"]}):
        response = api_client.post(REPORT, bad, format="json", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 400, (bad, response.status_code, response.content)
    assert BackupRun.objects.filter(job=job).count() == 1
    # Undeclared methods: 401 without credentials (like every API route), 405 with any (schemathesis ST204).
    assert api_client.get(REPORT).status_code == 401
    assert api_client.generic("TRACE", REPORT, HTTP_AUTHORIZATION="Token whatever").status_code == 405
    assert api_client.get(REPORT, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 405


@pytest.mark.django_db(transaction=True)
def test_hook_script_reports_a_failed_rsync_to_a_real_server(live_server, job_token, eager_celery):
    job, token = job_token
    env = {**os.environ, "OPSDESK_URL": live_server.url, "OPSDESK_BACKUP_TOKEN": token}
    script = str(ROOT / "integrations" / "backup" / "opsdesk_backup_hook.sh")
    message = 'rsync error: "No space left" \\ code 11\n\tsecond line'
    done = subprocess.run([script, "11", message, "2048"], env=env, capture_output=True, text=True, timeout=60)  # noqa: S603
    assert done.returncode == 0, done.stderr
    run = BackupRun.objects.get(job=job)
    assert run.outcome == "failed" and run.source == "hook" and run.size_bytes == 2048
    assert run.message == 'rsync error: "No space left" \\ code 11\n second line'
    run.refresh_from_db()
    assert run.incident is not None and run.incident.ci_id == job.ci_id  # the task ran (eagerly) after commit
    ok = subprocess.run([script, "0"], env=env, capture_output=True, text=True, timeout=60)  # noqa: S603
    assert ok.returncode == 0, ok.stderr
    assert BackupRun.objects.filter(job=job, outcome="ok").count() == 1
    bad = subprocess.run([script, "0"], env={**env, "OPSDESK_BACKUP_TOKEN": "nope"}, capture_output=True, text=True,
                         timeout=60)  # noqa: S603
    assert bad.returncode == 3
