"""One FilterSet per list, shared by the API and the staff pages."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import django_filters as filters
from django.conf import settings
from django.db import connection
from django.db.models import F, Q, QuerySet, Value
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opsdesk.filters import IdFilter, StrictBooleanFilter

from .choices import BackupMethod, DrillStatus, RestoreStatus
from .models import BackupJob, Drill, EmergencyPlan, RestoreTest


def _now(fs: Any) -> datetime:
    return getattr(fs, "now", None) or timezone.now()


def restore_max_age_days() -> int:
    return int(getattr(settings, "ASSURANCE_RESTORE_MAX_AGE_DAYS", 90))


def restore_stale_q(now: datetime) -> Q:
    """Jobs whose last passed restore test is older than their limit (or the site default), or never done."""
    default_cut = now - timedelta(days=restore_max_age_days())
    if connection.vendor != "postgresql":
        # SQLite (the local demo) cannot multiply a duration: decide in Python over the active jobs.
        from .models import BackupJob

        rows = BackupJob.objects.filter(is_active=True).values_list("pk", "last_restore_ok_at", "restore_max_age_days")
        return Q(pk__in=[pk for pk, ok_at, days in rows
                         if ok_at is None or ok_at < (now - timedelta(days=days) if days is not None else default_cut)])
    own = Q(restore_max_age_days__isnull=False) & (
        Q(last_restore_ok_at__isnull=True)
        | Q(last_restore_ok_at__lt=now - Value(timedelta(days=1)) * F("restore_max_age_days")))
    site = Q(restore_max_age_days__isnull=True) & (Q(last_restore_ok_at__isnull=True)
                                                    | Q(last_restore_ok_at__lt=default_cut))
    return Q(is_active=True) & (own | site)


class PlanFilterSet(filters.FilterSet):
    q = filters.CharFilter(method="filter_q", label=_("Search"))
    organization = IdFilter(field_name="organization_id", label=_("Organisation"))
    ci = IdFilter(field_name="cis", label=_("Configuration item"), distinct=True)
    group = IdFilter(field_name="group_id", label=_("Responsible group"))
    active = StrictBooleanFilter(field_name="is_active", label=_("Active"))
    review_overdue = StrictBooleanFilter(method="filter_overdue", label=_("Review overdue"))

    class Meta:
        model = EmergencyPlan
        fields: list[str] = []

    def filter_q(self, queryset: QuerySet[EmergencyPlan], name: str, value: str) -> QuerySet[EmergencyPlan]:
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(scenario__icontains=value)) if value else queryset

    def filter_overdue(self, queryset: QuerySet[EmergencyPlan], name: str, value: bool | None) -> QuerySet[EmergencyPlan]:
        if value is None:
            return queryset
        today = timezone.localdate(_now(self))
        overdue = Q(is_active=True, next_review_due__lt=today)
        return queryset.filter(overdue) if value else queryset.exclude(overdue)


class DrillFilterSet(filters.FilterSet):
    q = filters.CharFilter(method="filter_q", label=_("Search"))
    organization = IdFilter(field_name="organization_id", label=_("Organisation"))
    plan = IdFilter(field_name="plan_id", label=_("Emergency plan"))
    status = filters.ChoiceFilter(choices=DrillStatus.choices, label=_("Status"))
    overdue = StrictBooleanFilter(method="filter_overdue", label=_("Record overdue"))
    rto_met = StrictBooleanFilter(field_name="rto_met", label=_("Objective met"))

    class Meta:
        model = Drill
        fields: list[str] = []

    def filter_q(self, queryset: QuerySet[Drill], name: str, value: str) -> QuerySet[Drill]:
        value = value.strip()
        return queryset.filter(Q(title__icontains=value) | Q(plan__name__icontains=value)) if value else queryset

    def filter_overdue(self, queryset: QuerySet[Drill], name: str, value: bool | None) -> QuerySet[Drill]:
        if value is None:
            return queryset
        overdue = Q(status=DrillStatus.SCHEDULED, record_due_at__lt=_now(self))
        return queryset.filter(overdue) if value else queryset.exclude(overdue)


class BackupJobFilterSet(filters.FilterSet):
    q = filters.CharFilter(method="filter_q", label=_("Search"))
    organization = IdFilter(field_name="organization_id", label=_("Organisation"))
    ci = IdFilter(field_name="ci_id", label=_("Configuration item"))
    method = filters.ChoiceFilter(choices=BackupMethod.choices, label=_("Method"))
    active = StrictBooleanFilter(field_name="is_active", label=_("Active"))
    late = StrictBooleanFilter(method="filter_late", label=_("No successful run in time"))
    restore_stale = StrictBooleanFilter(method="filter_restore_stale", label=_("Restore test too old"))

    class Meta:
        model = BackupJob
        fields: list[str] = []

    def filter_q(self, queryset: QuerySet[BackupJob], name: str, value: str) -> QuerySet[BackupJob]:
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(ci__name__icontains=value)
                               | Q(location__icontains=value)) if value else queryset

    def filter_late(self, queryset: QuerySet[BackupJob], name: str, value: bool | None) -> QuerySet[BackupJob]:
        if value is None:
            return queryset
        q = late_q(_now(self))
        return queryset.filter(q) if value else queryset.exclude(q)

    def filter_restore_stale(self, queryset: QuerySet[BackupJob], name: str, value: bool | None) -> QuerySet[BackupJob]:
        if value is None:
            return queryset
        q = restore_stale_q(_now(self))
        return queryset.filter(q) if value else queryset.exclude(q)


def late_q(now: datetime) -> Q:
    """Active jobs with no successful run within interval + grace (since the last success or creation)."""
    if connection.vendor != "postgresql":
        # SQLite (the local demo) cannot multiply a duration: decide in Python over the active jobs.
        from .models import BackupJob

        rows = BackupJob.objects.filter(is_active=True).values_list(
            "pk", "last_success_at", "created_at", "interval_hours", "grace_hours")
        return Q(pk__in=[pk for pk, last, created, interval, grace in rows
                         if (last or created) < now - timedelta(hours=interval + grace)])
    hour = Value(timedelta(hours=1))
    return Q(is_active=True) & (
        Q(last_success_at__isnull=False, last_success_at__lt=now - hour * (F("interval_hours") + F("grace_hours")))
        | Q(last_success_at__isnull=True, created_at__lt=now - hour * (F("interval_hours") + F("grace_hours"))))


class RestoreTestFilterSet(filters.FilterSet):
    organization = IdFilter(field_name="organization_id", label=_("Organisation"))
    job = IdFilter(field_name="job_id", label=_("Backup job"))
    status = filters.ChoiceFilter(choices=RestoreStatus.choices, label=_("Status"))

    class Meta:
        model = RestoreTest
        fields: list[str] = []
