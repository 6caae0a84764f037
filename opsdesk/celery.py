"""The `opsdesk` Celery app and the one static beat schedule (DESIGN.md, Stack)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.settings")

app = Celery("opsdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Schedules that admins define (report runs, inspection plans) are DB rows swept by these tasks;
# this table itself never changes at run time.
app.conf.beat_schedule = {
    # Notifications: retries after backoff, lost send tasks, and rate-limited backlogs merged into digests.
    "notifications-flush": {"task": "notifications.deliveries_flush_task", "schedule": 30.0},
}
