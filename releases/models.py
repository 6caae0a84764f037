from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from changes.models import Change
from tickets.choices import TicketKind
from tickets.models import TicketBase

from .choices import DeploymentResult, Environment, ReleaseStatus


class Release(TicketBase):
    """A versioned bundle of changes deployed together (REL-…), with its plan, window and notes."""

    KIND = TicketKind.RELEASE
    NUMBER_PREFIX = "REL"

    # `version` is TicketBase's optimistic-concurrency counter; this is the product version shipped.
    release_version = models.CharField(_("release version"), max_length=50)
    status = models.CharField(_("status"), max_length=20, choices=ReleaseStatus.choices,
                              default=ReleaseStatus.PLANNING)
    plan = models.TextField(_("deployment plan"), blank=True)
    planned_start = models.DateTimeField(_("planned start"), null=True, blank=True)
    planned_end = models.DateTimeField(_("planned end"), null=True, blank=True)
    deploy_started_at = models.DateTimeField(_("deployment started at"), null=True, blank=True)
    deployed_at = models.DateTimeField(_("deployed at"), null=True, blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    rolled_back_at = models.DateTimeField(_("rolled back at"), null=True, blank=True)
    verification_notes = models.TextField(_("verification notes"), blank=True)
    rollback_notes = models.TextField(_("rollback notes"), blank=True)
    cancel_reason = models.TextField(_("cancel reason"), blank=True)
    changes = models.ManyToManyField(Change, through="ReleaseChange", verbose_name=_("changes"),
                                     related_name="releases", blank=True)

    class Meta:
        ordering = ["-reported_at", "-id"]
        verbose_name = _("release")
        verbose_name_plural = _("releases")
        indexes = [
            models.Index(fields=["-reported_at", "-id"], name="rel_reported_desc"),
            models.Index(fields=["organization", "status", "reported_at"], name="rel_org_status_rep"),
            # The calendar: releases whose planned window overlaps a month or a week.
            models.Index(fields=["planned_start", "planned_end"], name="rel_planned_window"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_start__isnull=True) | Q(planned_end__isnull=True)
                | Q(planned_end__gt=F("planned_start")),
                name="release_window_ordered",
            ),
        ]


class ReleaseChange(models.Model):
    """A change grouped into a release. `open` mirrors whether the release is still open, so the
    database itself refuses a change in two open releases at once."""

    release = models.ForeignKey(Release, verbose_name=_("release"), on_delete=models.PROTECT,
                                related_name="release_changes")
    change = models.ForeignKey(Change, verbose_name=_("change"), on_delete=models.PROTECT,
                               related_name="release_links")
    open = models.BooleanField(_("release open"), default=True)
    added_at = models.DateTimeField(_("added at"))
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("added by"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["release", "id"]
        verbose_name = _("change in a release")
        verbose_name_plural = _("changes in releases")
        constraints = [
            models.UniqueConstraint(fields=["release", "change"], name="release_change_once"),
            models.UniqueConstraint(fields=["change"], condition=Q(open=True), name="change_one_open_release"),
        ]


class Deployment(models.Model):
    """One deployment of a release to an environment or site: append-only, recorded in the
    release's event chain."""

    release = models.ForeignKey(Release, verbose_name=_("release"), on_delete=models.PROTECT,
                                related_name="deployments")
    environment = models.CharField(_("environment"), max_length=20, choices=Environment.choices)
    site = models.CharField(_("site"), max_length=200, blank=True,
                            help_text=_("Where it was deployed, e.g. a data centre or a branch office."))
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"))
    result = models.CharField(_("result"), max_length=20, choices=DeploymentResult.choices)
    deployed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("deployed by"),
                                    on_delete=models.PROTECT, related_name="+")
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"),
                                    on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        ordering = ["release", "started_at", "id"]
        verbose_name = _("deployment")
        verbose_name_plural = _("deployments")
        indexes = [models.Index(fields=["release", "started_at"], name="deployment_release_start")]
        constraints = [
            models.CheckConstraint(condition=Q(finished_at__gte=F("started_at")), name="deployment_times_ordered"),
        ]


class CalendarFeedKey(models.Model):
    """The secret half of a user's personal iCal subscription URL; replacing it revokes old URLs."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                                related_name="calendar_feed_key")
    key = models.CharField(_("key"), max_length=64)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("calendar feed key")
        verbose_name_plural = _("calendar feed keys")
