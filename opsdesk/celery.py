"""The `opsdesk` Celery app, its queues and routes, and the one static beat schedule (DESIGN.md, Stack).

Queues (docs/operations.md): each task belongs to one queue class so a long report never delays a
breach. `default` is the queue a deployment names (CELERY_TASK_DEFAULT_QUEUE, default "default");
the other classes are that name's siblings: "sla", "notifications", ... when it is "default",
"<name>.sla", "<name>.notifications", ... otherwise (one broker shared by several deployments or
test runs). A worker started without -Q consumes every queue (the embedded `scripts/run` worker);
production runs one worker per class group (docker-compose.yml)."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from kombu import Exchange, Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.settings")

QUEUE_CLASSES = ("sla", "notifications", "reports", "intake", "default")

app = Celery("opsdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.conf.task_default_queue = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "default")


def queue_name(queue_class: str, default_queue: str | None = None) -> str:
    """The broker queue of a queue class for a deployment whose default queue is `default_queue`."""
    base = default_queue if default_queue is not None else str(app.conf.task_default_queue)
    if queue_class == "default":
        return base
    return queue_class if base == "default" else f"{base}.{queue_class}"


def route_task(name: str, args: Any, kwargs: Any, options: Any, task: Any = None, **kw: Any) -> dict[str, str]:
    """Celery router (settings.CELERY_TASK_ROUTES): the task's class from settings.TASK_QUEUE_CLASSES,
    resolved against the default queue configured *now* (a test may point this process elsewhere)."""
    from django.conf import settings

    queue = queue_name(settings.TASK_QUEUE_CLASSES.get(name, "default"))
    return {"queue": queue, "exchange": queue, "routing_key": queue}


# One direct exchange per queue, named like it: a message reaches exactly the queue it was routed to.
app.conf.task_queues = [Queue(queue_name(cls), Exchange(queue_name(cls), type="direct"), routing_key=queue_name(cls))
                        for cls in QUEUE_CLASSES]


def every(name: str, default: float) -> float:
    """A beat interval in seconds: BEAT_<NAME>_SECONDS, else BEAT_ALL_SECONDS (tests run every sweep
    each second), else the default. Any interval is safe with two beats: every sweep claims its work."""
    raw = os.environ.get(f"BEAT_{name.upper().replace('-', '_')}_SECONDS") or os.environ.get("BEAT_ALL_SECONDS")
    return float(raw) if raw else default


# Schedules that admins define (report runs, inspection plans) are DB rows swept by these tasks;
# this table itself never changes at run time.
app.conf.beat_schedule = {
    # Notifications: retries after backoff, lost send tasks, and rate-limited backlogs merged into digests.
    "notifications-flush": {"task": "notifications.deliveries_flush_task", "schedule": every("notifications-flush", 30.0)},
    # Per-person digests and what quiet hours held (idempotent per person and period).
    "notifications-digests": {"task": "notifications.digests_send_task", "schedule": every("notifications-digests", 60.0)},
    # SLA: warnings, breaches, escalations, progress reminders, observation auto-close (incidents/sla/sweep.py).
    # Quality: closed tickets get their rating invitation; unsent invitation emails are queued again.
    "quality-invitations": {"task": "quality.invitations_sweep_task", "schedule": every("quality-invitations", 60.0)},
    # Quality: questionnaires marked "send every half year" go to each organisation once per half year.
    "quality-survey-rounds": {"task": "quality.survey_rounds_schedule_task", "schedule": every("quality-survey-rounds", 3600.0)},
    "sla-sweep": {"task": "incidents.sla_sweep_task",
                  "schedule": float(os.environ.get("SLA_SWEEP_SECONDS") or every("sla-sweep", 15.0))},
    # Reports: each schedule's monthly pack (previous month) generated once, e-mailed, published; lost runs requeued.
    # Changes: customer-approval e-mails whose send task was lost are queued again.
    "changes-approval-mails": {"task": "changes.customer_approvals_send_due_task",
                               "schedule": every("changes-approval-mails", 600.0)},
    "reports-schedules": {"task": "reports.schedules_sweep_task", "schedule": every("reports-schedules", 3600.0)},
    # Audit: each organisation's daily anchor over its chain heads (one row per day; missed days filled).
    "audit-anchors": {"task": "tickets.audit_anchors_sweep_task", "schedule": every("audit-anchors", 3600.0)},
    # Approvals (any ticket kind): overdue ones reminded, then escalated, once each (tickets/approvals.py).
    "tickets-approvals": {"task": "tickets.approvals_sweep_task", "schedule": every("tickets-approvals", 300.0)},
    # E-mail intake: each active mailbox polled (mailin/services.py; exactly once per mail even with two beats).
    "mailin-poll": {"task": "mailin.mailboxes_poll_sweep_task",
                    "schedule": float(os.environ.get("MAILIN_POLL_SECONDS") or every("mailin-poll", 60.0))},
    # Monitoring: queued alert requests (sources in queued mode) turned into incidents in batches; the
    # receivers kick it at once, this is the safety net (monitoring/inbox.py).
    "monitoring-inbox": {"task": "monitoring.inbox_process_task",
                         "schedule": float(os.environ.get("MONITORING_INBOX_SECONDS") or every("monitoring-inbox", 5.0))},
    # Inspections: each active plan's rounds a week ahead (once per plan and period); overdue rounds escalated once.
    "inspections-generate": {"task": "inspections.rounds_generate_task", "schedule": every("inspections-generate", 3600.0)},
    "inspections-escalate": {"task": "inspections.rounds_escalate_task", "schedule": every("inspections-escalate", 300.0)},
    # Security: open vulnerability findings past their due date escalated once.
    "security-escalate": {"task": "security.findings_escalate_task", "schedule": every("security-escalate", 900.0)},
    # Assurance: failed/missed backups → one incident per job; overdue plan reviews and drill records escalated once.
    "assurance-backups": {"task": "assurance.backups_sweep_task", "schedule": every("assurance-backups", 600.0)},
    "assurance-escalate": {"task": "assurance.overdue_escalate_task", "schedule": every("assurance-escalate", 900.0)},
}
