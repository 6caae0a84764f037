"""The team: leave requests (a ticket kind on the kernel), the monthly assessment (KPI) and its
configuration, and training sessions."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from documents.models import Document
from duty.models import DutyRule
from incidents.models import Incident
from tickets.models import TicketBase

from .choices import KIND, Attendance, Audience, LeaveStatus, LeaveType, ScorecardStatus


class LeaveRequest(TicketBase):
    """An engineer's leave with its hand-over plan: the company approves, then the customer
    (within two working days of the customer's calendar); on approval the hand-over is done."""

    KIND = KIND
    NUMBER_PREFIX = "LV"

    engineer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("engineer"), on_delete=models.PROTECT,
                                 related_name="+")
    leave_type = models.CharField(_("leave type"), max_length=10, choices=LeaveType.choices, default=LeaveType.ANNUAL)
    starts_at = models.DateTimeField(_("leave from"))
    ends_at = models.DateTimeField(_("leave until"))
    stand_in = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("stand-in on the duty roster"),
                                 on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=20, choices=LeaveStatus.choices, default=LeaveStatus.DRAFT)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    rejected_at = models.DateTimeField(_("rejected at"), null=True, blank=True)
    handed_over_at = models.DateTimeField(_("handed over at"), null=True, blank=True)
    cancel_reason = models.TextField(_("cancel reason"), blank=True)
    duty_rules = models.ManyToManyField(DutyRule, verbose_name=_("roster entries"), blank=True, related_name="+")

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("leave request")
        verbose_name_plural = _("leave requests")
        indexes = [models.Index(fields=["engineer", "status", "starts_at"], name="leave_engineer_status")]


class HandoverItem(models.Model):
    """One line of the hand-over plan: an open incident, or another duty (an inspection round, a
    standing task), and the colleague who takes it."""

    leave = models.ForeignKey(LeaveRequest, verbose_name=_("leave request"), on_delete=models.CASCADE,
                              related_name="handover")
    incident = models.ForeignKey(Incident, verbose_name=_("incident"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    duty = models.CharField(_("duty"), max_length=300, blank=True)
    to_user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("taken by"), on_delete=models.PROTECT,
                                related_name="+")
    done_at = models.DateTimeField(_("handed over at"), null=True, blank=True)

    class Meta:
        ordering = ["leave", "pk"]
        verbose_name = _("hand-over item")
        verbose_name_plural = _("hand-over items")


def default_weights() -> dict[str, int]:
    return {"satisfaction": 30, "workload": 20, "problems": 20, "recovery": 30}


def default_thresholds() -> dict[str, list[float]]:
    return {
        "satisfaction": [3.0, 3.5, 4.0, 4.5, 4.8],  # average of ratings and call-backs, 1–5
        "workload": [1.0, 2.0, 3.0, 4.0, 5.0],      # hours per available working day
        "problems": [50, 70, 80, 90, 100],          # % of problems handled in time
        "recovery": [60, 70, 80, 90, 95],           # % of faults restored in time
    }


class KpiConfig(models.Model):
    """The assessment's rules (admin data): weights, the scale, the thresholds that turn each
    measure into a score. The active one with the highest id applies."""

    name = models.CharField(_("name"), max_length=100, default="KPI")
    weights = models.JSONField(_("weights (%)"), default=default_weights)
    scale_min = models.PositiveSmallIntegerField(_("lowest score"), default=1)
    scale_max = models.PositiveSmallIntegerField(_("highest score"), default=6)
    thresholds = models.JSONField(
        _("thresholds"), default=default_thresholds,
        help_text=_("Per dimension, ascending cut points: the score is the lowest score plus the number of cut points the measure reaches."))
    hours_per_ticket = models.DecimalField(_("hours counted per ticket handled"), max_digits=5, decimal_places=2,
                                           default=Decimal("2.00"))
    problem_days = models.PositiveSmallIntegerField(_("days to handle a problem in time"), default=30)
    no_data_score = models.PositiveSmallIntegerField(_("score without data"), default=4,
                                                     help_text=_("E.g. an engineer nobody rated this month."))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("KPI configuration")
        verbose_name_plural = _("KPI configurations")

    def __str__(self) -> str:
        return self.name


class Scorecard(models.Model):
    """One engineer's assessment of one month: the desk's proposal (measures, inputs, formula)
    and the scores as adjusted by the manager; published, the engineer sees it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("engineer"), on_delete=models.PROTECT,
                             related_name="scorecards")
    month = models.DateField(_("month"))
    status = models.CharField(_("status"), max_length=10, choices=ScorecardStatus.choices,
                              default=ScorecardStatus.PROPOSED)
    proposal = models.JSONField(_("proposal"), default=dict)
    scores = models.JSONField(_("scores"), default=dict)
    weights = models.JSONField(_("weights (%)"), default=dict)
    total = models.DecimalField(_("weighted score"), max_digits=4, decimal_places=2, default=Decimal("0"))
    computed_at = models.DateTimeField(_("computed at"))
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("published by"), null=True,
                                     blank=True, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        ordering = ["-month", "user__name", "user__username"]
        verbose_name = _("scorecard")
        verbose_name_plural = _("scorecards")
        constraints = [models.UniqueConstraint(fields=["user", "month"], name="scorecard_once_a_month")]


class ScoreAdjustment(models.Model):
    """The manager changed a proposed score: what, from, to, why, who, when (kept, never edited)."""

    scorecard = models.ForeignKey(Scorecard, verbose_name=_("scorecard"), on_delete=models.PROTECT,
                                  related_name="adjustments")
    dimension = models.CharField(_("dimension"), max_length=20)
    old_score = models.PositiveSmallIntegerField(_("from"))
    new_score = models.PositiveSmallIntegerField(_("to"))
    reason = models.TextField(_("reason"))
    adjusted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("adjusted by"),
                                    on_delete=models.PROTECT, related_name="+")
    adjusted_at = models.DateTimeField(_("adjusted at"))

    class Meta:
        ordering = ["adjusted_at", "pk"]
        verbose_name = _("score adjustment")
        verbose_name_plural = _("score adjustments")


class TrainingSession(models.Model):
    """Training for customers' users or for engineers: who, what, when, materials, attendance."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("what is covered"), blank=True)
    audience = models.CharField(_("audience"), max_length=10, choices=Audience.choices, default=Audience.CUSTOMER)
    organization = models.ForeignKey(Organization, verbose_name=_("customer"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    location = models.CharField(_("place"), max_length=200, blank=True)
    trainer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("trainer"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    materials = models.ManyToManyField(Document, verbose_name=_("materials"), blank=True, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")

    def __str__(self) -> str:
        return self.title


class TrainingAttendee(models.Model):
    session = models.ForeignKey(TrainingSession, verbose_name=_("training session"), on_delete=models.CASCADE,
                                related_name="attendees")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("person"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=150, blank=True)
    status = models.CharField(_("attendance"), max_length=10, choices=Attendance.choices, default=Attendance.INVITED)

    class Meta:
        ordering = ["session", "pk"]
        verbose_name = _("attendee")
        verbose_name_plural = _("attendees")
