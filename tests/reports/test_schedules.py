"""Monthly schedules: the hourly sweep generates the previous month's pack once per schedule, e-mails
it once with the PDFs attached (every attempt logged) and publishes it when asked."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from reports.choices import EmailStatus, RunStatus
from reports.models import ReportEmail, ReportEmailAttempt, ReportRun, ReportSchedule
from reports.services import default_pack, report_email_send, schedule_save, schedule_sweep

from .helpers import at

pytestmark = pytest.mark.django_db

NOV_3 = at(3, 9, month=11)  # a sweep in November generates October


@pytest.fixture(autouse=True)
def _november():
    """The wall clock of the tasks (the e-mail attempt times) is early November 2026."""
    with time_machine.travel(NOV_3, tick=True):
        yield


def make_schedule(boss, org, **kw):
    args = {"name": "Alpha monthly", "organization": org, "kinds": ["monthly_fault_summary"],
            "recipients": "chief@alpha.example, ops@alpha.example", "language": "zh-hans", "publish": True,
            "is_active": True, "now": at(20, 9, month=9)}
    args.update(kw)
    return schedule_save(actor=boss, **args)


def test_sweeping_twice_makes_one_run_and_one_email(october, boss, django_capture_on_commit_callbacks):
    schedule = make_schedule(boss, october["org"])
    with django_capture_on_commit_callbacks(execute=True):
        first = schedule_sweep(now=NOV_3)
    with django_capture_on_commit_callbacks(execute=True):
        second = schedule_sweep(now=NOV_3 + timedelta(hours=1))
    assert first["created"] == 1 and second["created"] == 0
    runs = ReportRun.objects.filter(schedule=schedule)
    assert [(r.kind, r.period, r.status, r.language) for r in runs] == [
        ("monthly_fault_summary", "2026-10", RunStatus.DONE, "zh-hans")]
    run = runs.get()
    assert run.published and run.published_by is None and run.requested_by is None  # published by the schedule
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.to) == ["chief@alpha.example", "ops@alpha.example"]
    assert "市公安局 Alpha" in message.subject and "2026" in message.subject
    (name, content, mimetype), = message.attachments
    assert name == "monthly_fault_summary-alpha-2026-10.pdf" and mimetype == "application/pdf"
    assert content == run.file.open("rb").read()
    email = ReportEmail.objects.get(schedule=schedule)
    assert email.status == EmailStatus.SENT and email.period == "2026-10" and email.attempts == 1
    assert list(ReportEmailAttempt.objects.filter(email=email).values_list("ok", "attachments")) == [(True, 1)]
    report_email_send(email_id=email.pk, now=NOV_3 + timedelta(hours=2))  # a duplicate task
    assert len(mail.outbox) == 1


def test_a_failed_send_is_logged_and_retried(october, boss, settings, monkeypatch,
                                             django_capture_on_commit_callbacks):
    make_schedule(boss, october["org"], publish=False)
    calls = {"n": 0}
    from django.core.mail import EmailMessage

    original = EmailMessage.send

    def flaky(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("connection refused")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(EmailMessage, "send", flaky)
    with django_capture_on_commit_callbacks(execute=True):
        schedule_sweep(now=NOV_3)
    email = ReportEmail.objects.get()
    assert email.status == EmailStatus.FAILED and "connection refused" in email.last_error
    assert not ReportRun.objects.get().published
    with django_capture_on_commit_callbacks(execute=True):
        schedule_sweep(now=timezone.now() + timedelta(minutes=5))  # too soon: waits for the backoff
    email.refresh_from_db()
    assert email.status == EmailStatus.FAILED and email.attempts == 1
    with django_capture_on_commit_callbacks(execute=True):
        schedule_sweep(now=timezone.now() + timedelta(hours=1))
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT and email.attempts == 2 and len(mail.outbox) == 1
    assert list(email.attempt_log.values_list("ok", flat=True)) == [False, True]


def test_schedules_made_this_month_wait_for_the_next(october, boss, django_capture_on_commit_callbacks):
    make_schedule(boss, october["org"], now=at(2, 9, month=11))
    inactive = make_schedule(boss, october["org"], name="Off", is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        schedule_sweep(now=NOV_3)
    assert not ReportRun.objects.exists() and not mail.outbox
    assert not ReportEmail.objects.filter(schedule=inactive).exists()


def test_without_recipients_nothing_is_mailed(october, boss, django_capture_on_commit_callbacks):
    make_schedule(boss, october["org"], recipients="")
    with django_capture_on_commit_callbacks(execute=True):
        schedule_sweep(now=NOV_3)
    assert ReportEmail.objects.get().status == EmailStatus.SKIPPED and not mail.outbox
    assert ReportRun.objects.get().published


def test_lost_runs_are_queued_again(october, boss, django_capture_on_commit_callbacks):
    """A run whose Celery message was lost (still queued after 5 minutes) is generated by the next sweep."""
    schedule = make_schedule(boss, october["org"], publish=False)
    with django_capture_on_commit_callbacks(execute=False):
        schedule_sweep(now=NOV_3)  # the on-commit hooks are dropped: the messages are "lost"
    run = ReportRun.objects.get(schedule=schedule)
    assert run.status == RunStatus.QUEUED
    with django_capture_on_commit_callbacks(execute=True):
        schedule_sweep(now=timezone.now() + timedelta(minutes=10))
    run.refresh_from_db()
    assert run.status == RunStatus.DONE and len(mail.outbox) == 1


def test_schedule_validation_and_rights(october, boss, tech):
    assert default_pack()[0] == "monthly_fault_summary"
    with pytest.raises(PermissionDenied):
        make_schedule(tech, october["org"])
    with pytest.raises(ValidationError) as exc:
        make_schedule(boss, october["org"], kinds=["fault_analysis"], recipients="not-an-address")
    assert {"kinds", "recipients"} <= set(exc.value.message_dict)
    with pytest.raises(ValidationError) as exc:
        make_schedule(boss, None, publish=True)
    assert "publish" in exc.value.message_dict
    assert ReportSchedule.objects.count() == 0
