"""Generated reports (ReportRun: one PDF + its Excel tables, archived unchanged), admin-defined
monthly schedules (ReportSchedule) and the e-mails that deliver a schedule's pack (ReportEmail,
every attempt logged in ReportEmailAttempt). Nothing here is ever deleted."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization

from .choices import EmailStatus, RunStatus


def run_file_path(instance: ReportRun, filename: str) -> str:
    return f"reports/runs/{instance.created_at:%Y/%m}/{instance.pk}/{filename}"


def default_schedule_kinds() -> list[str]:
    return ["monthly_fault_summary"]


class ReportSchedule(models.Model):
    """A monthly report pack for one organisation (or all): on or after the 1st of each month the
    previous month's reports are generated once, e-mailed to the recipients and, if asked, published
    to the customer's portal."""

    name = models.CharField(_("name"), max_length=200)
    organization = models.ForeignKey(Organization, verbose_name=_("organisation"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+",
                                     help_text=_("Empty: one pack over all organisations (staff only)."))
    kinds = models.JSONField(_("report kinds"), default=default_schedule_kinds)
    recipients = models.TextField(_("recipients"), blank=True,
                                  help_text=_("E-mail addresses, one per line or separated by commas."))
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans")
    publish = models.BooleanField(_("publish to the customer portal"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("report schedule")
        verbose_name_plural = _("report schedules")

    def __str__(self) -> str:
        return self.name

    @property
    def recipient_list(self) -> list[str]:
        parts = self.recipients.replace(";", ",").replace("\n", ",").split(",")
        return [p.strip() for p in parts if p.strip()]


class ReportRun(models.Model):
    """One generated report: who asked for what (kind, organisation, period, options, language), its
    progress, and the archived PDF and Excel files with their SHA-256; a re-download returns the same
    bytes. Published runs appear on the customer's portal."""

    kind = models.CharField(_("report kind"), max_length=40)
    organization = models.ForeignKey(Organization, verbose_name=_("organisation"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    incident = models.ForeignKey("incidents.Incident", verbose_name=_("incident"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    period = models.CharField(_("period"), max_length=20, blank=True)
    period_start = models.DateTimeField(_("period start"), null=True, blank=True)
    period_end = models.DateTimeField(_("period end"), null=True, blank=True)
    options = models.JSONField(_("options"), default=dict, blank=True)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    status = models.CharField(_("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    message = models.CharField(_("progress message"), max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    file = models.FileField(_("PDF"), upload_to=run_file_path, max_length=300, blank=True)
    sha256 = models.CharField(_("PDF SHA-256"), max_length=64, blank=True)
    size = models.PositiveBigIntegerField(_("PDF size"), default=0)
    xlsx = models.FileField(_("Excel"), upload_to=run_file_path, max_length=300, blank=True)
    xlsx_sha256 = models.CharField(_("Excel SHA-256"), max_length=64, blank=True)
    pages = models.PositiveIntegerField(_("pages"), default=0)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("requested by"), null=True,
                                     blank=True, on_delete=models.PROTECT, related_name="+")
    schedule = models.ForeignKey(ReportSchedule, verbose_name=_("schedule"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="runs")
    created_at = models.DateTimeField(_("requested at"))
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    published = models.BooleanField(_("published"), default=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("published by"), null=True,
                                     blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            # A schedule generates each kind of each period once, however often the sweep runs.
            models.UniqueConstraint(fields=["schedule", "kind", "period"], condition=Q(schedule__isnull=False),
                                    name="report_run_once_per_schedule"),
            models.CheckConstraint(condition=Q(progress__lte=100), name="report_run_progress_0_100"),
        ]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="report_run_recent"),
            models.Index(fields=["organization", "published", "-created_at"], name="report_run_portal"),
            models.Index(fields=["status", "created_at"], name="report_run_status"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.period}".strip()

    @property
    def is_finished(self) -> bool:
        return self.status in (RunStatus.DONE, RunStatus.FAILED)


class ReportEmail(models.Model):
    """The e-mail that sends one schedule's pack for one period: sent once, when every report of the
    pack is finished. Each try is a ReportEmailAttempt."""

    schedule = models.ForeignKey(ReportSchedule, verbose_name=_("schedule"), on_delete=models.PROTECT,
                                 related_name="emails")
    period = models.CharField(_("period"), max_length=20)
    recipients = models.TextField(_("recipients"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=EmailStatus.choices, default=EmailStatus.WAITING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("report e-mail")
        verbose_name_plural = _("report e-mails")
        constraints = [models.UniqueConstraint(fields=["schedule", "period"], name="report_email_once")]


class ReportEmailAttempt(models.Model):
    """One try at sending a report e-mail, successful or not (what the mail backend answered)."""

    email = models.ForeignKey(ReportEmail, verbose_name=_("e-mail"), on_delete=models.PROTECT,
                              related_name="attempt_log")
    at = models.DateTimeField(_("time"))
    ok = models.BooleanField(_("sent"))
    recipients = models.TextField(_("recipients"), blank=True)
    attachments = models.PositiveSmallIntegerField(_("attachments"), default=0)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("report e-mail attempt")
        verbose_name_plural = _("report e-mail attempts")
from .analysis_models import *  # noqa: E402, F403
