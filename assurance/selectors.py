"""Reads of the assurance app, through the tenancy choke point (`visible_to`): staff see every
organisation, a customer only its own (anything else is 404)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import BooleanField, ExpressionWrapper, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from cmdb.models import CI

from .choices import DrillStatus, RestoreStatus
from .filtersets import (
    BackupJobFilterSet,
    DrillFilterSet,
    PlanFilterSet,
    RestoreTestFilterSet,
    late_q,
    restore_stale_q,
)
from .models import AssuranceEvent, BackupJob, BackupRun, Drill, EmergencyPlan, RestoreTest


def _filtered(fs_class: Any, qs: QuerySet[Any], filters: Any, now: datetime | None) -> QuerySet[Any]:
    if not filters:
        return qs
    fs = fs_class(filters, queryset=qs, request=None)
    fs.now = now
    if not fs.is_valid():
        raise ValidationError(fs.errors)
    return fs.qs


def _get(qs: QuerySet[Any], pk: Any) -> Any:
    try:
        return qs.get(pk=int(pk))
    except (qs.model.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None


def plan_base(*, user: Any) -> QuerySet[EmergencyPlan]:
    return EmergencyPlan.objects.visible_to(user)


def plan_list(*, user: Any, filters: Any = None, now: datetime | None = None) -> QuerySet[EmergencyPlan]:
    qs = plan_base(user=user).select_related("organization", "group")
    return _filtered(PlanFilterSet, qs, filters, now)


def plan_get(*, user: Any, pk: Any) -> EmergencyPlan:
    return _get(plan_base(user=user).select_related("organization", "group"), pk)


def drill_base(*, user: Any) -> QuerySet[Drill]:
    return Drill.objects.visible_to(user)


def drill_list(*, user: Any, filters: Any = None, now: datetime | None = None) -> QuerySet[Drill]:
    qs = drill_base(user=user).select_related("organization", "plan")
    return _filtered(DrillFilterSet, qs, filters, now)


def drill_get(*, user: Any, pk: Any) -> Drill:
    return _get(drill_base(user=user).select_related("organization", "plan", "plan__group", "recorded_by"), pk)


def drills_overdue(*, user: Any, now: datetime) -> QuerySet[Drill]:
    return drill_base(user=user).filter(status=DrillStatus.SCHEDULED, record_due_at__lt=now).select_related(
        "organization", "plan").order_by("record_due_at", "pk")


def with_flags(qs: QuerySet[BackupJob], *, now: datetime) -> QuerySet[BackupJob]:
    return qs.annotate(
        is_late=ExpressionWrapper(late_q(now), output_field=BooleanField()),
        restore_stale=ExpressionWrapper(restore_stale_q(now), output_field=BooleanField()),
    )


def job_base(*, user: Any) -> QuerySet[BackupJob]:
    return BackupJob.objects.visible_to(user)


def job_list(*, user: Any, now: datetime, filters: Any = None) -> QuerySet[BackupJob]:
    qs = with_flags(job_base(user=user).select_related("organization", "ci", "incident", "group"), now=now)
    return _filtered(BackupJobFilterSet, qs, filters, now)


def job_get(*, user: Any, pk: Any, now: datetime) -> BackupJob:
    return _get(with_flags(job_base(user=user).select_related("organization", "ci", "incident", "group"), now=now), pk)


def job_runs(*, job: BackupJob) -> QuerySet[BackupRun]:
    return job.runs.select_related("incident", "created_by").order_by("-started_at", "-id")


def restore_list(*, user: Any, filters: Any = None, now: datetime | None = None) -> QuerySet[RestoreTest]:
    qs = RestoreTest.objects.visible_to(user).select_related("job", "job__ci", "organization")
    return _filtered(RestoreTestFilterSet, qs, filters, now)


def restore_get(*, user: Any, pk: Any) -> RestoreTest:
    return _get(RestoreTest.objects.visible_to(user).select_related("job", "job__ci", "organization"), pk)


def events_of(*, user: Any, subject: str, obj: Any) -> QuerySet[AssuranceEvent]:
    return AssuranceEvent.objects.visible_to(user).filter(subject=subject, subject_id=obj.pk).select_related("actor")


def ci_assurance(*, user: Any, ci: CI, now: datetime) -> dict[str, Any]:
    """The CI page's panel: its plans, its backup jobs (late / restore-test flags)."""
    return {
        "plans": list(plan_base(user=user).filter(cis=ci, is_active=True).order_by("name")[:20]),
        "jobs": list(with_flags(job_base(user=user).filter(ci=ci), now=now).select_related("incident")
                     .order_by("name")[:20]),
    }


def assurance_overview(*, user: Any, now: datetime) -> dict[str, Any]:
    today = timezone.localdate(now)
    plans = plan_base(user=user).filter(is_active=True)
    jobs = with_flags(job_base(user=user).filter(is_active=True), now=now)
    return {
        "reviews_overdue": list(plans.filter(next_review_due__lt=today).select_related("organization")
                                .order_by("next_review_due")[:50]),
        "drills_overdue": list(drills_overdue(user=user, now=now)[:50]),
        "jobs_late": list(jobs.filter(Q(is_late=True)).select_related("ci", "organization", "incident")[:50]),
        "jobs_restore_stale": list(jobs.filter(Q(restore_stale=True)).select_related("ci", "organization")[:50]),
    }


def customer_assurance(*, user: Any, now: datetime) -> dict[str, Any]:
    """The portal's read-only view for a customer (or its auditor) of its own organisation: emergency plans
    with their last recorded drill of the last year, the drills of the last year and the coming months, and
    the backup jobs with their flags and last restore test (a subquery per job row). The same `visible_to`
    choke point as the API. Three queries."""
    plans = list(plan_base(user=user).filter(is_active=True).order_by("name")[:100])
    drills = list(drill_base(user=user).select_related("plan")
                  .filter(scheduled_start__gte=now - timedelta(days=366), scheduled_start__lte=now + timedelta(days=180))
                  .exclude(status=DrillStatus.CANCELLED).order_by("-scheduled_start")[:50])
    last_drill: dict[int, Drill] = {}
    for drill in drills:
        if drill.status == DrillStatus.RECORDED and drill.plan_id not in last_drill:
            last_drill[drill.plan_id] = drill
    for plan in plans:
        plan.last_drill = last_drill.get(plan.pk)  # type: ignore[attr-defined]
    last_test = (RestoreTest.objects.filter(job_id=OuterRef("pk"), status__in=[RestoreStatus.PASSED, RestoreStatus.FAILED])
                 .order_by("-scheduled_for", "-id"))
    jobs = list(with_flags(job_base(user=user).filter(is_active=True), now=now).select_related("ci")
                .annotate(last_restore_on=Subquery(last_test.values("scheduled_for")[:1]),
                          last_restore_status=Subquery(last_test.values("status")[:1]))
                .order_by("ci__name", "name")[:200])
    labels = dict(RestoreStatus.choices)
    for job in jobs:
        job.last_restore_label = labels.get(job.last_restore_status, "")  # type: ignore[attr-defined]
    return {"plans": plans, "drills": drills, "jobs": jobs, "today": timezone.localdate(now)}
