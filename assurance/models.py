"""Assurance records (issue #16): emergency plans per core system and their drills, backup jobs
with the runs that report on them, and restore tests that prove a backup can be used. Nothing is
deleted: plans and jobs are deactivated, drills and restore tests cancelled. Every write leaves an
AssuranceEvent (who, what, when) written by the services."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization, SupportGroup
from cmdb.models import CI
from incidents.models import Incident
from problems.models import Problem

from .choices import BackupMethod, DrillStatus, RestoreStatus, RunOutcome, RunSource


class TenantQuerySet(models.QuerySet[Any]):
    def visible_to(self, user: Any) -> TenantQuerySet:
        """The tenancy choke point: staff see every record; a customer only its own organisation's."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.is_superuser or not user.is_customer:
            return self
        if not user.organization_id:
            return self.none()
        return self.filter(organization_id=user.organization_id)


def token_digest(token: str) -> str:
    """Job tokens are random, so one SHA-256 is enough."""
    return hashlib.sha256(token.encode()).hexdigest()


class EmergencyPlan(models.Model):
    """An emergency plan (应急预案) for a core system: which CIs, the scenario, the numbered steps,
    who to call, the recovery time objective and how often it is reviewed. The next review is due on
    the organisation's SLA calendar (moved to the next working day past weekends and holidays)."""

    organization = models.ForeignKey(Organization, verbose_name=_("organisation"), on_delete=models.PROTECT,
                                     related_name="emergency_plans")
    name = models.CharField(_("name"), max_length=200)
    cis = models.ManyToManyField(CI, verbose_name=_("configuration items"), blank=True, related_name="emergency_plans")
    scenario = models.TextField(_("scenario"))
    steps = models.JSONField(_("steps"), default=list, blank=True, help_text=_("The recovery steps, in order."))
    contacts = models.TextField(_("contacts"), blank=True)
    rto_minutes = models.PositiveIntegerField(_("recovery time objective (minutes)"),
                                              validators=[MinValueValidator(1), MaxValueValidator(60 * 24 * 30)])
    review_interval_months = models.PositiveSmallIntegerField(
        _("review every (months)"), default=12, validators=[MinValueValidator(1), MaxValueValidator(60)])
    last_reviewed_on = models.DateField(_("last reviewed on"), null=True, blank=True)
    next_review_due = models.DateField(_("next review due"), null=True, blank=True)
    review_escalated_at = models.DateTimeField(_("overdue review escalated at"), null=True, blank=True)
    group = models.ForeignKey(SupportGroup, verbose_name=_("responsible group"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["next_review_due", "id"]
        verbose_name = _("emergency plan")
        verbose_name_plural = _("emergency plans")

    def __str__(self) -> str:
        return self.name

    @property
    def step_list(self) -> list[str]:
        return [str(s) for s in (self.steps or [])]


class Drill(models.Model):
    """A drill (演练) of one plan: scheduled in a time window (shown on the change calendar), then
    recorded — participants, each plan step done or not, the time it took to recover against the
    plan's objective, and findings. The record is due a few working days after the window."""

    plan = models.ForeignKey(EmergencyPlan, verbose_name=_("emergency plan"), on_delete=models.PROTECT,
                             related_name="drills")
    organization = models.ForeignKey(Organization, verbose_name=_("organisation"), on_delete=models.PROTECT,
                                     related_name="+")
    title = models.CharField(_("title"), max_length=200)
    scheduled_start = models.DateTimeField(_("scheduled start"))
    scheduled_end = models.DateTimeField(_("scheduled end"))
    record_due_at = models.DateTimeField(_("record due by"))
    status = models.CharField(_("status"), max_length=12, choices=DrillStatus.choices, default=DrillStatus.SCHEDULED)
    participants = models.TextField(_("participants"), blank=True)
    step_results = models.JSONField(_("steps done"), default=list, blank=True)
    recovery_minutes = models.PositiveIntegerField(_("actual time to recover (minutes)"), null=True, blank=True)
    rto_minutes = models.PositiveIntegerField(_("recovery time objective (minutes)"), null=True, blank=True,
                                              help_text=_("The plan's objective when the drill was recorded."))
    rto_met = models.BooleanField(_("objective met"), null=True, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    escalated_at = models.DateTimeField(_("overdue record escalated at"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"))

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-scheduled_start", "-id"]
        verbose_name = _("drill")
        verbose_name_plural = _("drills")
        constraints = [models.CheckConstraint(condition=Q(scheduled_end__gte=models.F("scheduled_start")),
                                              name="assurance_drill_window_order")]
        indexes = [models.Index(fields=["status", "record_due_at"], name="assurance_drill_due")]

    def __str__(self) -> str:
        return self.title


class DrillFinding(models.Model):
    """One finding of a drill; it may open a problem (linked both ways: the problem's id here, the
    drill named in the problem's description and events)."""

    drill = models.ForeignKey(Drill, verbose_name=_("drill"), on_delete=models.PROTECT, related_name="findings")
    text = models.TextField(_("finding"))
    problem = models.ForeignKey(Problem, verbose_name=_("problem"), null=True, blank=True, on_delete=models.PROTECT,
                                related_name="drill_findings")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["drill", "id"]
        verbose_name = _("drill finding")
        verbose_name_plural = _("drill findings")

    def __str__(self) -> str:
        return self.text[:80]


class BackupJob(models.Model):
    """A backup of one CI: how (method), how often (a successful run expected every N hours, with
    a grace), how long it is kept and where. Runs report on it; a failed or missed run opens one
    incident on the CI (repeats are counted on it while it is open)."""

    organization = models.ForeignKey(Organization, verbose_name=_("organisation"), on_delete=models.PROTECT,
                                     related_name="backup_jobs")
    ci = models.ForeignKey(CI, verbose_name=_("configuration item"), on_delete=models.PROTECT,
                           related_name="backup_jobs")
    name = models.CharField(_("name"), max_length=200)
    method = models.CharField(_("method"), max_length=12, choices=BackupMethod.choices, default=BackupMethod.RSYNC)
    interval_hours = models.PositiveIntegerField(_("expected every (hours)"), default=24,
                                                 validators=[MinValueValidator(1), MaxValueValidator(24 * 366)])
    grace_hours = models.PositiveIntegerField(_("grace (hours)"), default=2, validators=[MaxValueValidator(24 * 30)])
    retention = models.CharField(_("retention"), max_length=100, blank=True, help_text=_("E.g. 30 days, 12 monthly copies."))
    location = models.CharField(_("location"), max_length=300, blank=True)
    restore_max_age_days = models.PositiveIntegerField(
        _("restore test at least every (days)"), null=True, blank=True, validators=[MinValueValidator(1)],
        help_text=_("Empty: the site default (ASSURANCE_RESTORE_MAX_AGE_DAYS)."))
    group = models.ForeignKey(SupportGroup, verbose_name=_("responsible group"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    token_hash = models.CharField(_("token digest"), max_length=64, unique=True, null=True, blank=True, editable=False)
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("last successful run"), null=True, blank=True)
    last_restore_ok_at = models.DateTimeField(_("last successful restore test"), null=True, blank=True)
    incident = models.ForeignKey(Incident, verbose_name=_("incident"), null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", help_text=_("The incident the latest failure or miss opened."))
    incident_repeats = models.PositiveIntegerField(_("repeats on the open incident"), default=0)
    missed_reported_for = models.DateTimeField(
        _("miss reported for"), null=True, blank=True,
        help_text=_("The last success (or creation) whose missed successor was reported; one report per miss."))
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"))

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["organization", "name", "id"]
        verbose_name = _("backup job")
        verbose_name_plural = _("backup jobs")

    def __str__(self) -> str:
        return self.name

    def set_new_token(self) -> str:
        token = secrets.token_urlsafe(32)
        self.token_hash = token_digest(token)
        return token

    def check_token(self, token: str) -> bool:
        return bool(self.token_hash) and hmac.compare_digest(str(self.token_hash), token_digest(token))


class BackupRun(models.Model):
    """One run of a backup job as reported (API, hook script or by hand). Never edited."""

    job = models.ForeignKey(BackupJob, verbose_name=_("backup job"), on_delete=models.PROTECT, related_name="runs")
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=8, choices=RunOutcome.choices)
    size_bytes = models.BigIntegerField(_("size (bytes)"), null=True, blank=True, validators=[MinValueValidator(0)])
    message = models.TextField(_("message"), blank=True)
    source = models.CharField(_("reported by"), max_length=8, choices=RunSource.choices, default=RunSource.MANUAL)
    incident = models.ForeignKey(Incident, verbose_name=_("incident"), null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    handled_at = models.DateTimeField(_("failure handled at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("entered by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("received at"))

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("backup run")
        verbose_name_plural = _("backup runs")
        indexes = [models.Index(fields=["outcome", "handled_at"], name="assurance_run_unhandled")]

    def __str__(self) -> str:
        return f"{self.job} {self.started_at:%Y-%m-%d %H:%M}"


class RestoreTest(models.Model):
    """A restore test of a backup job: scheduled, then recorded (what was restored, how it was
    checked, how long it took, passed or failed)."""

    job = models.ForeignKey(BackupJob, verbose_name=_("backup job"), on_delete=models.PROTECT,
                            related_name="restore_tests")
    organization = models.ForeignKey(Organization, verbose_name=_("organisation"), on_delete=models.PROTECT,
                                     related_name="+")
    scheduled_for = models.DateField(_("scheduled for"))
    status = models.CharField(_("status"), max_length=10, choices=RestoreStatus.choices,
                              default=RestoreStatus.SCHEDULED)
    restored_what = models.TextField(_("what was restored"), blank=True)
    check_method = models.TextField(_("how it was checked"), blank=True)
    duration_minutes = models.PositiveIntegerField(_("time taken (minutes)"), null=True, blank=True)
    performed_at = models.DateTimeField(_("performed at"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"))

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-scheduled_for", "-id"]
        verbose_name = _("restore test")
        verbose_name_plural = _("restore tests")

    def __str__(self) -> str:
        return f"{self.job} {self.scheduled_for}"


class AssuranceEvent(models.Model):
    """The change log of every assurance record: one row per write, never edited."""

    subject = models.CharField(_("record type"), max_length=20)
    subject_id = models.PositiveBigIntegerField(_("record id"))
    organization = models.ForeignKey(Organization, verbose_name=_("organisation"), on_delete=models.PROTECT,
                                     related_name="+")
    action = models.CharField(_("action"), max_length=40)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    data = models.JSONField(_("data"), default=dict, blank=True)
    at = models.DateTimeField(_("at"))

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("assurance event")
        verbose_name_plural = _("assurance events")
        indexes = [models.Index(fields=["subject", "subject_id", "-at"], name="assurance_event_subject")]

    def __str__(self) -> str:
        return f"{self.subject}:{self.subject_id} {self.action}"
