"""Several hosts, one truth (issue 17): TWO real Celery beats and TWO real workers (subprocesses,
Redis broker, this test's PostgreSQL database), every periodic task scheduled each second, sweep
the same database for a while. Nothing fires twice: each SLA warning, breach and escalation is
recorded and notified once per incident, the monthly report pack is generated and e-mailed once,
each questionnaire invitation and the digest are e-mailed once, each inspection round is created
once — and no task failed. E-mails are counted at the boundary: the workers' console mail backend
writes every sent message to their logs."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.utils import timezone

import opsdesk.queueing
from accounts.choices import Role
from incidents.services import incident_create, incident_transition
from inspections.models import ChecklistTemplate, InspectionPlan, InspectionRound
from notifications.choices import ChannelKind, DeliveryMode
from notifications.models import Delivery, DeliveryAttempt, NotificationChannel, NotificationRule
from notifications.services import notification_emit, preference_save
from ops.models import FailedTask, TaskHeartbeat
from quality.models import Question, Questionnaire, SurveyInvitation
from quality.services import survey_round_send
from reports.models import ReportEmail, ReportEmailAttempt, ReportRun
from reports.services import schedule_save
from tests.factories import CIClassFactory, CIFactory, ContactFactory, SupportGroupFactory, UserFactory
from tests.sla.conftest import make_policy
from tickets.models import TicketEvent

REDIS_URL = os.environ.get("REDIS_URL_FOR_TESTS", "redis://127.0.0.1:6379/15")
ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))
pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]
INCIDENTS = 4


def wait_for(predicate, *, timeout: float, every: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return bool(predicate())


def _stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except (subprocess.TimeoutExpired, ProcessLookupError):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=5)


def _world(monkeypatch):
    """Everything the beats have to do, written while this process queues nothing (so every send
    below is the workers' doing)."""
    monkeypatch.setattr(opsdesk.queueing, "task_queue", lambda *a, **k: None)
    from inspections.templates_data import install
    from tickets.models import WorkCalendar
    from tickets.sla_config import DEFAULT_CALENDAR_CODE, calendar_sync

    install(apps)
    calendar, _ = WorkCalendar.objects.get_or_create(code=DEFAULT_CALENDAR_CODE, defaults={"name": "默认"})
    now = timezone.now()
    calendar_sync(calendar=calendar, years=sorted({now.year, (now + timedelta(days=8)).year}))

    from tests.factories import OrganizationFactory

    org = OrganizationFactory(name="Beat Org", code="beats")
    boss = UserFactory(username="beat_boss", role=Role.MANAGER)
    engineer = UserFactory(username="beat_engineer", role=Role.ENGINEER, email="digest@beats.example")
    lead = UserFactory(username="beat_lead", role=Role.ENGINEER)
    dispatcher = UserFactory(username="beat_dispatcher", role=Role.DISPATCHER)
    group = SupportGroupFactory(name="Beat group", lead=lead)
    group.members.add(engineer)

    # SLA: respond within 8 s, a warning at 50 %; each incident warns, breaches and escalates once.
    inapp = NotificationChannel.objects.create(name="In-app (beats)", kind=ChannelKind.INAPP, is_active=True)
    for event, recipients in {"sla.warning": ["assignee"], "sla.breach": ["assignee"],
                              "escalation": ["target"]}.items():
        rule = NotificationRule.objects.create(name=f"{event} (beats)", event=event, recipients=recipients)
        rule.channels.set([inapp])
    make_policy(targets={"I": {"respond": timedelta(seconds=8)}}, thresholds=[50])

    # Digest: three held e-mails of an hour that has ended, for a person who reads digests.
    email = NotificationChannel.objects.create(name="Email (beats)", kind=ChannelKind.EMAIL, is_active=True)
    digest_rule = NotificationRule.objects.create(name="digest (beats)", event="report.overdue",
                                                  recipients=["target"])
    digest_rule.channels.set([email])
    preference_save(user=engineer, data={"mode": DeliveryMode.DIGEST, "digest_minutes": 60, "time_zone": "UTC"})
    held_at = timezone.now() - timedelta(hours=2)
    for i in range(3):
        notification_emit(event="report.overdue", fault_level="II", organization_id=None, dedup_key=f"beats-d{i}",
                          now=held_at + timedelta(minutes=i),
                          context={"title": f"held {i}", "number": f"INC-9{i}", "link": "/",
                                   "target_user_ids": [engineer.pk]})

    # Questionnaire round: three contacts with e-mail, invitations not yet sent.
    questionnaire = Questionnaire.objects.create(title="Beat survey")
    Question.objects.create(questionnaire=questionnaire, position=1, text="Speed", kind="rating")
    for i in range(3):
        ContactFactory(organization=org, name=f"Contact {i}", email=f"survey{i}@beats.example")
    survey = survey_round_send(actor=boss, questionnaire=questionnaire, organization=org, year=now.year, half=1,
                               now=now)

    # Report pack: last month's monthly fault summary, e-mailed to one address.
    schedule = schedule_save(actor=boss, name="Beat pack", organization=org, kinds=["monthly_fault_summary"],
                             recipients="chief@beats.example", language="en", publish=True, is_active=True, now=now)
    schedule.created_at = now - timedelta(days=70)  # a schedule older than last month: last month's pack is due
    schedule.save(update_fields=["created_at"])

    # Inspection plan: monthly over three cameras.
    cls = CIClassFactory(code="beat-camera", name="Camera")
    cams = [CIFactory(organization=org, ci_class=cls, name=f"BEAT-CAM-{i}") for i in range(3)]
    plan = InspectionPlan.objects.create(name="Beat plan", template=ChecklistTemplate.objects.get(code="monthly-system"),
                                         organization=org, group=group, frequency="monthly",
                                         starts_on=date(now.year, 1, 1), created_at=now)
    plan.cis.set(cams)
    monkeypatch.undo()
    return {"org": org, "boss": boss, "dispatcher": dispatcher, "group": group, "engineer": engineer, "survey": survey, "schedule": schedule, "plan": plan}


def test_two_beats_and_two_workers_fire_everything_once(monkeypatch, tmp_path):
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"Redis is not reachable at {REDIS_URL} ({exc}); set REDIS_URL_FOR_TESTS")
    world = _world(monkeypatch)
    db = connection.settings_dict
    database_url = f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {**os.environ, "DATABASE_URL": database_url, "CELERY_BROKER_URL": REDIS_URL, "REDIS_URL": REDIS_URL,
           "CELERY_TASK_ALWAYS_EAGER": "0", "CELERY_TASK_DEFAULT_QUEUE": f"beats-it-{uuid.uuid4().hex[:10]}",
           "BEAT_ALL_SECONDS": "2", "SLA_SWEEP_SECONDS": "1", "MAILIN_POLL_SECONDS": "1",
           "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend", "LOG_FORMAT": "text",
           "OPSDESK_VAR_DIR": str(tmp_path / "var")}
    procs: list[subprocess.Popen] = []
    logs = []
    try:
        for i in (1, 2):
            log = tmp_path / f"worker{i}.log"
            logs.append(log)
            procs.append(subprocess.Popen(  # noqa: S603
                [CELERY, "-A", "opsdesk", "worker", "--pool", "solo", "-n", f"beats{i}-{uuid.uuid4().hex[:6]}@%h",
                 "--loglevel", "INFO", "--without-heartbeat", "--without-gossip", "--without-mingle"],
                cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True))
        for i in (1, 2):
            log = tmp_path / f"beat{i}.log"
            logs.append(log)
            procs.append(subprocess.Popen(  # noqa: S603
                [CELERY, "-A", "opsdesk", "beat", "--loglevel", "INFO", "-s", str(tmp_path / f"beat{i}-schedule")],
                cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True))

        def tail() -> str:
            return "\n".join(f"--- {p.name}\n{p.read_text()[-2500:]}" for p in logs)

        assert wait_for(lambda: all("ready." in p.read_text() for p in logs[:2]), timeout=60), tail()
        # The incidents start once the workers run: each crosses its warning (4 s) and its breach (8 s) live.
        incidents = []
        for i in range(INCIDENTS):
            inc = incident_create(actor=world["boss"], organization=world["org"], title=f"Core down {i}",
                                  impact="high", urgency="high", now=timezone.now())
            incident_transition(incident_id=inc.pk, actor=world["dispatcher"], action="assign",
                                payload={"assignee": world["engineer"].pk, "group": world["group"].pk},
                                now=timezone.now())
            incidents.append(inc)

        def events(action: str) -> int:
            return TicketEvent.objects.filter(ticket_kind="incident", ticket_id__in=[i.pk for i in incidents],
                                              action=action).count()

        def progress() -> dict[str, bool]:
            return {
                "escalated": events("escalated") >= INCIDENTS,
                "report e-mailed": ReportEmail.objects.filter(schedule=world["schedule"], status="sent").exists(),
                "survey sent": not SurveyInvitation.objects.filter(round=world["survey"],
                                                                   emailed_at__isnull=True).exists(),
                "digest sent": Delivery.objects.filter(event="digest", user=world["engineer"]).exclude(
                    attempts=0).exists(),
                "round made": InspectionRound.objects.filter(plan=world["plan"]).exists(),
            }

        assert wait_for(lambda: all(progress().values()), timeout=150, every=1), (progress(), tail())
        time.sleep(8)  # four more rounds of every sweep (eight of the SLA sweep) by both beats: nothing more may happen

        assert list(FailedTask.objects.values_list("task_name", "exception")) == [], tail()
        # SLA: one warning, one breach, one escalation per incident, each notified once.
        assert (events("sla_warning"), events("sla_breach"), events("escalated")) == (INCIDENTS,) * 3
        assert Delivery.objects.filter(event="sla.warning").count() == INCIDENTS, (
            list(Delivery.objects.values_list("event", "status")), tail())
        assert Delivery.objects.filter(event="sla.breach").count() == INCIDENTS
        for inc in incidents:
            inc.refresh_from_db()
            assert inc.escalation_level == 1
        # Report pack: one run per kind and period, one e-mail, one successful attempt.
        runs = ReportRun.objects.filter(schedule=world["schedule"])
        assert runs.count() == 1 and runs.get().status == "done"
        assert ReportEmail.objects.filter(schedule=world["schedule"]).count() == 1
        assert ReportEmailAttempt.objects.filter(email__schedule=world["schedule"], ok=True).count() == 1
        # Questionnaire round: every invitation e-mailed once.
        invitations = SurveyInvitation.objects.filter(round=world["survey"])
        assert sorted(invitations.values_list("send_attempts", flat=True)) == [1, 1, 1]
        # Digest: one digest for the person's period, merging the three held items, sent once.
        digest = Delivery.objects.get(event="digest", user=world["engineer"])
        assert Delivery.objects.filter(merged_into=digest).count() == 3
        assert DeliveryAttempt.objects.filter(delivery=digest).count() == 1
        # Inspection rounds: one per plan and period.
        periods = list(InspectionRound.objects.filter(plan=world["plan"]).values_list("period_start", flat=True))
        assert len(periods) == len(set(periods)) >= 1
        # At the mail boundary: each address received exactly one message.
        text = "\n".join(p.read_text() for p in logs[:2])
        for address in ["chief@beats.example", "digest@beats.example",
                        "survey0@beats.example", "survey1@beats.example", "survey2@beats.example"]:
            assert len(re.findall(rf"^To: {re.escape(address)}\s*$", text, flags=re.MULTILINE)) == 1, (address, tail())
        # Both beats really ran (each sends the sweep), and nothing failed.
        for log in logs[2:]:
            assert log.read_text().count("Sending due task sla-sweep") >= 5, tail()
        assert list(FailedTask.objects.values_list("task_name", "exception")) == []
        beat = TaskHeartbeat.objects.get(task_name="incidents.sla_sweep_task")
        assert beat.runs >= 10 and beat.last_duration is not None
    finally:
        for proc in procs:
            _stop(proc)
    # The scrape sees the sweep's heartbeat and the breaches.
    response = Client(REMOTE_ADDR="127.0.0.1").get("/metrics")
    assert response.status_code == 200
    body = response.content.decode()
    assert "opsdesk_sla_sweep_duration_seconds " in body
    assert f'opsdesk_sla_breaches_total{{ticket_kind="incident"}} {INCIDENTS}.0' in body
