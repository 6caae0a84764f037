from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cmdb.models import CI
from incidents.choices import CauseCategory
from incidents.models import Incident
from tickets.choices import TicketKind
from tickets.models import TicketBase

from .choices import KNOWN_ERROR_PREFIX, OPEN_PROBLEM_STATUSES, ProblemPriority, ProblemStatus
from .search import TSVectorField, VectorIndex


class Problem(TicketBase):
    """The underlying cause of one or more incidents (PRB-…). Once its root cause and workaround are
    known it is a known error (KE-…), offered to whoever meets the same fault; a change fixes it."""

    KIND = TicketKind.PROBLEM
    NUMBER_PREFIX = "PRB"

    status = models.CharField(_("status"), max_length=20, choices=ProblemStatus.choices, default=ProblemStatus.NEW)
    priority = models.CharField(_("priority"), max_length=1, choices=ProblemPriority.choices,
                                default=ProblemPriority.MEDIUM)
    ci = models.ForeignKey(
        CI, verbose_name=_("configuration item"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="problems",
    )
    cause_category = models.CharField(_("cause category"), max_length=20, choices=CauseCategory.choices, blank=True)
    root_cause = models.TextField(_("root cause"), blank=True)
    workaround = models.TextField(_("workaround"), blank=True)
    known_error = models.BooleanField(_("known error"), default=False)
    known_error_at = models.DateTimeField(_("known error since"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    fix_change_number = models.CharField(_("fixed by change"), max_length=20, blank=True)
    fixed_at = models.DateTimeField(_("fixed at"), null=True, blank=True)
    cancel_reason = models.TextField(_("cancel reason"), blank=True)
    incidents = models.ManyToManyField(
        Incident, verbose_name=_("incidents"), through="ProblemIncident", related_name="problems",
        through_fields=("problem", "incident"),
    )
    # Full-text vector of number, title, description, root cause and workaround: Latin words plus
    # overlapping CJK character bigrams, 'simple' config (see problems/search.py). Written by the
    # services; GIN-indexed on PostgreSQL (VectorIndex); unused on SQLite (icontains fallback).
    search_vector = TSVectorField(_("search vector"))

    class Meta:
        ordering = ["-reported_at", "-id"]
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        indexes = [
            models.Index(fields=["status", "reported_at"], name="prb_status_rep"),
            models.Index(fields=["organization", "status", "reported_at"], name="prb_org_status_rep"),
            models.Index(fields=["-reported_at", "-id"], name="prb_reported_desc"),
            models.Index(fields=["ci", "known_error"], name="prb_ci_known_error"),
            VectorIndex(fields=["search_vector"], name="prb_search_vector"),
        ]

    @property
    def known_error_id(self) -> str:
        """KE-000042 for PRB-000042; empty until the problem is a known error."""
        if not self.known_error:
            return ""
        return KNOWN_ERROR_PREFIX + self.number[len(self.NUMBER_PREFIX):]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_PROBLEM_STATUSES


class ProblemIncident(models.Model):
    """An incident linked to a problem, with who linked it and when. Unlinking stamps the row
    (nothing is deleted); a later re-link is a new row."""

    problem = models.ForeignKey(Problem, verbose_name=_("problem"), on_delete=models.PROTECT, related_name="links")
    incident = models.ForeignKey(Incident, verbose_name=_("incident"), on_delete=models.PROTECT,
                                 related_name="problem_links")
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("linked by"), on_delete=models.PROTECT,
                                  related_name="+")
    linked_at = models.DateTimeField(_("linked at"))
    unlinked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("unlinked by"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    unlinked_at = models.DateTimeField(_("unlinked at"), null=True, blank=True)

    class Meta:
        ordering = ["linked_at", "id"]
        verbose_name = _("linked incident")
        verbose_name_plural = _("linked incidents")
        constraints = [
            models.UniqueConstraint(fields=["problem", "incident"], condition=Q(unlinked_at__isnull=True),
                                    name="prb_link_active_unique"),
        ]
        indexes = [models.Index(fields=["incident", "unlinked_at"], name="prb_link_incident")]


class RepeatRule(models.Model):
    """A repeat-fault threshold (admin data): `min_incidents` incidents within `window_days` on the
    same CI (or, with by_cause, with the same cause category on the same CI class in the same
    organisation) and no linked problem make a problem candidate. With no active rule the default
    applies: settings.PROBLEM_REPEAT_MIN_INCIDENTS in PROBLEM_REPEAT_WINDOW_DAYS per CI (3 in 30)."""

    class Scope(models.TextChoices):
        CI = "ci", _("Same configuration item")
        CAUSE = "cause", _("Same cause on the same CI class and organisation")

    name = models.CharField(_("name"), max_length=100)
    scope = models.CharField(_("grouped by"), max_length=10, choices=Scope.choices, default=Scope.CI)
    min_incidents = models.PositiveSmallIntegerField(_("incidents at least"), default=3)
    window_days = models.PositiveSmallIntegerField(_("within days"), default=30)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["scope", "id"]
        verbose_name = _("repeat-fault rule")
        verbose_name_plural = _("repeat-fault rules")
        constraints = [
            models.CheckConstraint(condition=Q(min_incidents__gte=2), name="prb_rule_min_2"),
            models.CheckConstraint(condition=Q(window_days__gte=1), name="prb_rule_window_1"),
        ]

    def __str__(self) -> str:
        return self.name
