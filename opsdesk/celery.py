"""The `opsdesk` Celery app and the one static beat schedule (DESIGN.md, Stack)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.settings")

app = Celery("opsdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# One broker shared by several deployments or test runs: each may name its own queue.
app.conf.task_default_queue = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "celery")

# Schedules that admins define (report runs, inspection plans) are DB rows swept by these tasks;
# this table itself never changes at run time.
app.conf.beat_schedule = {
    # Notifications: retries after backoff, lost send tasks, and rate-limited backlogs merged into digests.
    "notifications-flush": {"task": "notifications.deliveries_flush_task", "schedule": 30.0},
    # Per-person digests and what quiet hours held (idempotent per person and period).
    "notifications-digests": {"task": "notifications.digests_send_task", "schedule": 60.0},
    # SLA: warnings, breaches, escalations, progress reminders, observation auto-close (incidents/sla/sweep.py).
    # Quality: closed tickets get their rating invitation; unsent invitation emails are queued again.
    "quality-invitations": {"task": "quality.invitations_sweep_task", "schedule": 60.0},
    "sla-sweep": {"task": "incidents.sla_sweep_task", "schedule": float(os.environ.get("SLA_SWEEP_SECONDS", "15"))},
    # Reports: each schedule's monthly pack (previous month) generated once, e-mailed, published; lost runs requeued.
    # Changes: customer-approval e-mails whose send task was lost are queued again.
    "changes-approval-mails": {"task": "changes.customer_approvals_send_due_task", "schedule": 600.0},
    "reports-schedules": {"task": "reports.schedules_sweep_task", "schedule": 3600.0},
    # Audit: each organisation's daily anchor over its chain heads (one row per day; missed days filled).
    "audit-anchors": {"task": "tickets.audit_anchors_sweep_task", "schedule": 3600.0},
    # Approvals (any ticket kind): overdue ones reminded, then escalated, once each (tickets/approvals.py).
    "tickets-approvals": {"task": "tickets.approvals_sweep_task", "schedule": 300.0},
    # E-mail intake: each active mailbox polled (mailin/services.py; exactly once per mail even with two beats).
    "mailin-poll": {"task": "mailin.mailboxes_poll_sweep_task", "schedule": float(os.environ.get("MAILIN_POLL_SECONDS", "60"))},
    # Inspections: each active plan's rounds a week ahead (once per plan and period); overdue rounds escalated once.
    "inspections-generate": {"task": "inspections.rounds_generate_task", "schedule": 3600.0},
    "inspections-escalate": {"task": "inspections.rounds_escalate_task", "schedule": 300.0},
    # Assurance: failed/missed backups → one incident per job; overdue plan reviews and drill records escalated once.
    "assurance-backups": {"task": "assurance.backups_sweep_task", "schedule": 600.0},
    "assurance-escalate": {"task": "assurance.overdue_escalate_task", "schedule": 900.0},
}
