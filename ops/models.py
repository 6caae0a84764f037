"""Operations records: Celery tasks that failed (shown to admins, retried when idempotent) and the
last run of each periodic task (what /metrics reports as sweep duration)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class FailedTask(models.Model):
    """One failed Celery task run, recorded by the task_failure signal. Arguments are summarised
    with secrets scrubbed (ops/scrub.py); nothing here is ever deleted."""

    task_name = models.CharField(_("task"), max_length=200, db_index=True)
    task_id = models.CharField(_("task id"), max_length=64, blank=True)
    args_summary = models.TextField(_("arguments"), blank=True)
    exception = models.TextField(_("exception"))
    traceback = models.TextField(_("traceback"), blank=True)
    failed_at = models.DateTimeField(_("failed at"), db_index=True)
    hostname = models.CharField(_("worker"), max_length=200, blank=True)
    retried_at = models.DateTimeField(_("retried at"), null=True, blank=True)
    retried_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("retried by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    # The original call, kept to retry it (never shown: it may hold what the summary scrubs).
    call = models.JSONField(_("call"), default=dict, blank=True)

    class Meta:
        ordering = ["-failed_at", "-id"]
        verbose_name = _("failed task")
        verbose_name_plural = _("failed tasks")

    def __str__(self) -> str:
        return f"{self.task_name} @ {self.failed_at:%Y-%m-%d %H:%M:%S}"


class TaskHeartbeat(models.Model):
    """The last run of one periodic task (beat schedule), upserted around each run."""

    task_name = models.CharField(_("task"), max_length=200, unique=True)
    last_started_at = models.DateTimeField(_("last started"), null=True, blank=True)
    last_finished_at = models.DateTimeField(_("last finished"), null=True, blank=True)
    last_duration = models.FloatField(_("last duration (s)"), null=True, blank=True)
    runs = models.BigIntegerField(_("runs"), default=0)

    class Meta:
        ordering = ["task_name"]
        verbose_name = _("task heartbeat")
        verbose_name_plural = _("task heartbeats")

    def __str__(self) -> str:
        return self.task_name
