"""Every write of the assurance app: emergency plans and their reviews, drills (scheduled, recorded,
a finding opening a problem), backup jobs and the runs reported on them (a failure or a miss opens
one incident per job through the incidents services; repeats are counted on it), restore tests,
and the overdue escalation (plan reviews, drill records: once each, through the notifications
services, rendered per reader). Each write leaves an AssuranceEvent."""

from __future__ import annotations

import calendar as pycalendar
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.choices import Role
from accounts.locale import human_datetime, organization_zone, reading_as
from accounts.models import Organization, SupportGroup
from cmdb.models import CI
from incidents.choices import OPEN_STATUSES, Impact, Urgency
from incidents.models import Incident
from incidents.services import incident_create, incident_transition
from incidents.sla.policy import system_actor
from notifications.choices import NotificationEvent
from notifications.messages import msg, when
from notifications.services import notification_emit
from opsdesk.errors import ConflictError
from opsdesk.queueing import task_queue_on_commit
from problems.choices import ProblemPriority
from problems.models import Problem
from problems.services import problem_create
from tickets.audit import event_record
from tickets.choices import Channel, EventAction
from tickets.locking import ticket_lock
from tickets.sla_config import PolicyMemo

from .choices import BackupMethod, DrillStatus, RestoreStatus, RunOutcome, RunSource
from .models import (
    AssuranceEvent,
    BackupJob,
    BackupRun,
    Drill,
    DrillFinding,
    EmergencyPlan,
    RestoreTest,
)

log = logging.getLogger(__name__)

MAX_TEXT = 8000
MAX_STEPS = 100
EDIT_ANY_ROLES = frozenset({Role.MANAGER, Role.SUPERVISOR, Role.REGIONAL_LEAD})


# --- access -------------------------------------------------------------------------------------

def can_edit(user: Any, group: SupportGroup | None = None) -> bool:
    """Managers, supervisors and regional leads edit every assurance record; engineers (any staff
    role) only those of a group they belong to or lead. Customers never."""
    if not getattr(user, "is_authenticated", False) or not user.is_active or user.is_customer:
        return False
    if user.is_superuser or user.role in EDIT_ANY_ROLES:
        return True
    if group is None:
        return False
    return bool(group.lead_id == user.pk or group.members.filter(pk=user.pk).exists())


def _require_edit(actor: Any, group: SupportGroup | None) -> None:
    if not can_edit(actor, group):
        raise PermissionDenied


def _event(*, subject: str, obj: Any, actor: Any, action: str, now: datetime, data: dict[str, Any] | None = None) -> None:
    AssuranceEvent.objects.create(subject=subject, subject_id=obj.pk, organization_id=obj.organization_id,
                                  action=action, actor=actor if getattr(actor, "pk", None) else None,
                                  data=_json(data or {}), at=now)


def _json(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if hasattr(value, "pk"):
        return value.pk
    return str(value)


def _version_check(obj: Any, version: int | None) -> None:
    if version is not None and int(version) != obj.version:
        raise ConflictError(current_version=obj.version)


def _text(errors: dict[str, list[str]], name: str, value: Any, *, required: bool = False, limit: int = MAX_TEXT) -> str:
    text = str(value or "").strip()
    if required and not text:
        errors.setdefault(name, []).append(_("This field is required."))
    if len(text) > limit:
        errors.setdefault(name, []).append(_("At most %(n)s characters.") % {"n": limit})
    return text


# --- the SLA calendar -----------------------------------------------------------------------------

def _calendar(organization_id: int, now: datetime) -> Any:
    return PolicyMemo(now=now).get(organization_id).calendar


def _is_working(cal: Any, day: date) -> bool:
    return bool(cal.periods_on(day))


def next_working_day(cal: Any, day: date) -> date:
    """`day` itself if it is a working day on the calendar, else the next one (a year at most)."""
    for _i in range(370):
        if _is_working(cal, day):
            return day
        day += timedelta(days=1)
    return day


def add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, pycalendar.monthrange(year, month)[1]))


def review_due_date(*, organization_id: int, reviewed_on: date, months: int, now: datetime) -> date:
    """The next review: `months` after the last one, moved to the next working day of the
    organisation's SLA calendar when that falls on a weekend or holiday (e.g. National Day)."""
    return next_working_day(_calendar(organization_id, now), add_months(reviewed_on, months))


def drill_record_due(*, organization_id: int, scheduled_end: datetime, now: datetime) -> datetime:
    """A drill is recorded by the end of the N-th working day after its window
    (ASSURANCE_DRILL_RECORD_WORKING_DAYS, default 3) on the organisation's SLA calendar."""
    cal = _calendar(organization_id, now)
    days = max(1, int(getattr(settings, "ASSURANCE_DRILL_RECORD_WORKING_DAYS", 3)))
    day = scheduled_end.astimezone(cal.tz).date()
    count = 0
    for _i in range(400):
        day += timedelta(days=1)
        if _is_working(cal, day):
            count += 1
            if count >= days:
                break
    return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=cal.tz)


def local_today(organization_id: int, now: datetime) -> date:
    return now.astimezone(_calendar(organization_id, now).tz).date()


# --- emergency plans ----------------------------------------------------------------------------

PLAN_FIELDS = ("name", "scenario", "steps", "contacts", "rto_minutes", "review_interval_months", "group",
               "last_reviewed_on", "is_active")


def _clean_steps(errors: dict[str, list[str]], steps: Any) -> list[str]:
    if isinstance(steps, str):
        steps = [line for line in steps.splitlines()]
    if not isinstance(steps, list | tuple):
        errors.setdefault("steps", []).append(_("Give the steps as a list of texts."))
        return []
    cleaned = [str(s).strip()[:1000] for s in steps if str(s).strip()]
    if len(cleaned) > MAX_STEPS:
        errors.setdefault("steps", []).append(_("At most %(n)s steps.") % {"n": MAX_STEPS})
    return cleaned


def _clean_cis(errors: dict[str, list[str]], organization_id: int, cis: Iterable[CI | int] | None) -> list[CI]:
    if cis is None:
        return []
    ids = [c.pk if isinstance(c, CI) else int(c) for c in cis]
    found = list(CI.objects.filter(pk__in=ids, organization_id=organization_id))
    if len(found) != len(set(ids)):
        errors.setdefault("cis", []).append(_("Every CI must belong to the plan's organisation."))
    return found


def _plan_validate(plan: EmergencyPlan, errors: dict[str, list[str]]) -> None:
    if not plan.rto_minutes or plan.rto_minutes < 1:
        errors.setdefault("rto_minutes", []).append(_("Enter the objective in minutes (at least 1)."))
    if not plan.review_interval_months or not 1 <= plan.review_interval_months <= 60:
        errors.setdefault("review_interval_months", []).append(_("Enter 1 to 60 months."))
    if errors:
        raise ValidationError(errors)


def _plan_due(plan: EmergencyPlan, now: datetime) -> None:
    base = plan.last_reviewed_on or plan.created_at.astimezone(_calendar(plan.organization_id, now).tz).date()
    due = review_due_date(organization_id=plan.organization_id, reviewed_on=base,
                          months=plan.review_interval_months, now=now)
    if due != plan.next_review_due:
        plan.next_review_due = due
        plan.review_escalated_at = None  # a new deadline may be escalated again when it passes


@transaction.atomic
def plan_create(*, actor: Any, organization: Organization, name: str, scenario: str, rto_minutes: int,
                steps: Any = (), contacts: str = "", review_interval_months: int = 12,
                last_reviewed_on: date | None = None, group: SupportGroup | None = None,
                cis: Iterable[CI | int] | None = None, now: datetime) -> EmergencyPlan:
    _require_edit(actor, group)
    errors: dict[str, list[str]] = {}
    plan = EmergencyPlan(
        organization=organization, name=_text(errors, "name", name, required=True, limit=200),
        scenario=_text(errors, "scenario", scenario, required=True), steps=_clean_steps(errors, list(steps or [])
                                                                                       if not isinstance(steps, str) else steps),
        contacts=_text(errors, "contacts", contacts), rto_minutes=rto_minutes,
        review_interval_months=review_interval_months, last_reviewed_on=last_reviewed_on, group=group,
        created_by=actor, created_at=now, updated_at=now)
    found = _clean_cis(errors, organization.pk, cis)
    _plan_validate(plan, errors)
    _plan_due(plan, now)
    plan.save()
    plan.cis.set(found)
    _event(subject="plan", obj=plan, actor=actor, action="created", now=now, data={
        "name": plan.name, "rto_minutes": plan.rto_minutes, "next_review_due": plan.next_review_due,
        "cis": [c.pk for c in found]})
    return plan


@transaction.atomic
def plan_update(*, plan_id: int, actor: Any, version: int | None, changes: dict[str, Any], now: datetime) -> EmergencyPlan:
    plan = EmergencyPlan.objects.select_for_update().get(pk=plan_id)
    _require_edit(actor, plan.group)
    if "group" in changes:
        _require_edit(actor, changes["group"])
    _version_check(plan, version)
    errors: dict[str, list[str]] = {}
    changed: dict[str, Any] = {}
    for name in PLAN_FIELDS:
        if name not in changes:
            continue
        value = changes[name]
        if name == "steps":
            value = _clean_steps(errors, value)
        elif name in ("name", "scenario", "contacts"):
            value = _text(errors, name, value, required=name != "contacts", limit=200 if name == "name" else MAX_TEXT)
        if getattr(plan, name) != value:
            changed[name] = value
            setattr(plan, name, value)
    new_cis = None
    if "cis" in changes:
        new_cis = _clean_cis(errors, plan.organization_id, changes["cis"])
    _plan_validate(plan, errors)
    _plan_due(plan, now)
    plan.version += 1
    plan.updated_at = now
    plan.save()
    if new_cis is not None:
        plan.cis.set(new_cis)
        changed["cis"] = [c.pk for c in new_cis]
    _event(subject="plan", obj=plan, actor=actor, action="updated", now=now, data=changed)
    return plan


@transaction.atomic
def plan_review_record(*, plan_id: int, actor: Any, reviewed_on: date, note: str = "", version: int | None = None,
                       now: datetime) -> EmergencyPlan:
    """The plan was reviewed: the next review is due `review_interval_months` later (working day)."""
    plan = EmergencyPlan.objects.select_for_update().get(pk=plan_id)
    _require_edit(actor, plan.group)
    _version_check(plan, version)
    errors: dict[str, list[str]] = {}
    note = _text(errors, "note", note)
    if reviewed_on > local_today(plan.organization_id, now):
        errors["reviewed_on"] = [_("The review date cannot be in the future.")]
    if errors:
        raise ValidationError(errors)
    plan.last_reviewed_on = reviewed_on
    _plan_due(plan, now)
    plan.version += 1
    plan.updated_at = now
    plan.save()
    _event(subject="plan", obj=plan, actor=actor, action="reviewed", now=now, data={
        "reviewed_on": reviewed_on, "note": note, "next_review_due": plan.next_review_due})
    return plan


# --- drills -------------------------------------------------------------------------------------

@transaction.atomic
def drill_schedule(*, actor: Any, plan: EmergencyPlan, title: str, scheduled_start: datetime,
                   scheduled_end: datetime, now: datetime) -> Drill:
    _require_edit(actor, plan.group)
    errors: dict[str, list[str]] = {}
    title = _text(errors, "title", title or plan.name, required=True, limit=200)
    if not plan.is_active:
        errors["plan"] = [_("This plan is no longer active.")]
    if scheduled_end < scheduled_start:
        errors["scheduled_end"] = [_("The end must not be before the start.")]
    if errors:
        raise ValidationError(errors)
    drill = Drill.objects.create(
        plan=plan, organization_id=plan.organization_id, title=title, scheduled_start=scheduled_start,
        scheduled_end=scheduled_end, status=DrillStatus.SCHEDULED, created_by=actor, created_at=now,
        record_due_at=drill_record_due(organization_id=plan.organization_id, scheduled_end=scheduled_end, now=now))
    _event(subject="drill", obj=drill, actor=actor, action="scheduled", now=now, data={
        "plan": plan.pk, "start": scheduled_start, "end": scheduled_end, "record_due_at": drill.record_due_at})
    return drill


def _clean_step_results(errors: dict[str, list[str]], plan: EmergencyPlan, results: Any) -> list[dict[str, Any]]:
    """One entry per plan step: {"step": index, "done": bool, "notes": text}; steps not given are 'not done'."""
    steps = plan.step_list
    given: dict[int, dict[str, Any]] = {}
    if not isinstance(results, list | tuple):
        errors.setdefault("step_results", []).append(_("Give one entry per plan step."))
        results = []
    for entry in results:
        if not isinstance(entry, dict) or not isinstance(entry.get("step"), int) or isinstance(entry.get("step"), bool) \
                or not 0 <= entry["step"] < len(steps):
            errors.setdefault("step_results", []).append(_("Each entry names a step of the plan by its number."))
            continue
        given[entry["step"]] = entry
    return [{"step": i, "text": text, "done": bool(given.get(i, {}).get("done")),
             "notes": str(given.get(i, {}).get("notes") or "").strip()[:2000]} for i, text in enumerate(steps)]


@transaction.atomic
def drill_record(*, drill_id: int, actor: Any, version: int | None, participants: str, step_results: Any,
                 recovery_minutes: int | None, summary: str = "", findings: Iterable[str] = (),
                 now: datetime) -> Drill:
    drill = Drill.objects.select_for_update(of=("self",)).select_related("plan").get(pk=drill_id)
    _require_edit(actor, drill.plan.group)
    _version_check(drill, version)
    errors: dict[str, list[str]] = {}
    if drill.status == DrillStatus.CANCELLED:
        errors["status"] = [_("A cancelled drill cannot be recorded.")]
    participants = _text(errors, "participants", participants, required=True)
    summary = _text(errors, "summary", summary)
    results = _clean_step_results(errors, drill.plan, step_results)
    if recovery_minutes is not None and recovery_minutes < 0:
        errors["recovery_minutes"] = [_("Enter minutes (0 or more).")]
    texts = [str(t).strip()[:MAX_TEXT] for t in findings if str(t).strip()]
    if errors:
        raise ValidationError(errors)
    first = drill.status == DrillStatus.SCHEDULED
    drill.participants, drill.step_results, drill.summary = participants, results, summary
    drill.recovery_minutes = recovery_minutes
    drill.rto_minutes = drill.plan.rto_minutes
    drill.rto_met = None if recovery_minutes is None else recovery_minutes <= drill.plan.rto_minutes
    drill.status = DrillStatus.RECORDED
    drill.recorded_at, drill.recorded_by = now, actor
    drill.version += 1
    drill.save()
    made = [DrillFinding.objects.create(drill=drill, text=t, created_by=actor, created_at=now) for t in texts]
    _event(subject="drill", obj=drill, actor=actor, action="recorded" if first else "record_corrected", now=now, data={
        "recovery_minutes": recovery_minutes, "rto_minutes": drill.rto_minutes, "rto_met": drill.rto_met,
        "steps_done": sum(1 for r in results if r["done"]), "steps": len(results), "findings": [f.pk for f in made]})
    return drill


@transaction.atomic
def drill_cancel(*, drill_id: int, actor: Any, version: int | None, reason: str, now: datetime) -> Drill:
    drill = Drill.objects.select_for_update(of=("self",)).select_related("plan").get(pk=drill_id)
    _require_edit(actor, drill.plan.group)
    _version_check(drill, version)
    errors: dict[str, list[str]] = {}
    reason = _text(errors, "reason", reason, required=True)
    if drill.status != DrillStatus.SCHEDULED:
        errors["status"] = [_("Only a scheduled drill can be cancelled.")]
    if errors:
        raise ValidationError(errors)
    drill.status = DrillStatus.CANCELLED
    drill.version += 1
    drill.save(update_fields=["status", "version"])
    _event(subject="drill", obj=drill, actor=actor, action="cancelled", now=now, data={"reason": reason})
    return drill


@transaction.atomic
def finding_add(*, drill_id: int, actor: Any, text: str, now: datetime) -> DrillFinding:
    drill = Drill.objects.select_for_update(of=("self",)).select_related("plan").get(pk=drill_id)
    _require_edit(actor, drill.plan.group)
    errors: dict[str, list[str]] = {}
    text = _text(errors, "text", text, required=True)
    if errors:
        raise ValidationError(errors)
    finding = DrillFinding.objects.create(drill=drill, text=text, created_by=actor, created_at=now)
    _event(subject="drill", obj=drill, actor=actor, action="finding_added", now=now, data={"finding": finding.pk})
    return finding


@transaction.atomic
def finding_problem_open(*, finding_id: int, actor: Any, priority: str = ProblemPriority.MEDIUM,
                         now: datetime) -> Problem:
    """Open a problem for a drill finding through the problems services (once: a second call returns
    the linked problem). The link is kept both ways: the finding points at the problem, the problem's
    description and an event on it name the drill."""
    finding = DrillFinding.objects.select_for_update(of=("self",)).select_related("drill__plan").get(pk=finding_id)
    drill = finding.drill
    _require_edit(actor, drill.plan.group)
    if finding.problem_id is not None:
        return Problem.objects.get(pk=finding.problem_id)
    if priority not in ProblemPriority.values:
        raise ValidationError({"priority": [_("Unknown priority.")]})
    ci = drill.plan.cis.order_by("pk").first()
    problem = problem_create(
        actor=actor, organization=drill.plan.organization, priority=priority, ci=ci, group=drill.plan.group,
        title=(_("Drill finding: %(text)s") % {"text": finding.text})[:200],
        description=_("Found in drill “%(drill)s” (%(start)s) of emergency plan “%(plan)s”:\n\n%(text)s") % {
            "drill": drill.title, "start": drill.scheduled_start.date().isoformat(), "plan": drill.plan.name,
            "text": finding.text},
        now=now)
    locked = ticket_lock(Problem, problem.pk)
    event_record(ticket=locked, actor=actor, action=EventAction.UPDATED, now=now, data={
        "assurance": {"drill": drill.pk, "finding": finding.pk, "plan": drill.plan_id}})
    finding.problem = problem
    finding.save(update_fields=["problem"])
    _event(subject="drill", obj=drill, actor=actor, action="problem_opened", now=now, data={
        "finding": finding.pk, "problem": problem.pk, "number": problem.number})
    return problem


# --- backup jobs and runs -----------------------------------------------------------------------

JOB_FIELDS = ("name", "method", "interval_hours", "grace_hours", "retention", "location", "restore_max_age_days",
              "group", "is_active")


def _job_validate(job: BackupJob, errors: dict[str, list[str]]) -> None:
    if job.method not in BackupMethod.values:
        errors.setdefault("method", []).append(_("Unknown method."))
    if not job.interval_hours or not 1 <= job.interval_hours <= 24 * 366:
        errors.setdefault("interval_hours", []).append(_("Enter 1 to 8784 hours."))
    if job.grace_hours is None or not 0 <= job.grace_hours <= 24 * 30:
        errors.setdefault("grace_hours", []).append(_("Enter 0 to 720 hours."))
    if job.ci_id and job.ci.organization_id != job.organization_id:
        errors.setdefault("ci", []).append(_("This CI belongs to another organisation."))
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def backup_job_create(*, actor: Any, ci: CI, name: str, method: str = BackupMethod.RSYNC, interval_hours: int = 24,
                      grace_hours: int = 2, retention: str = "", location: str = "",
                      restore_max_age_days: int | None = None, group: SupportGroup | None = None,
                      now: datetime) -> tuple[BackupJob, str]:
    """A new job and its reporting token (shown once; only its digest is kept)."""
    _require_edit(actor, group)
    errors: dict[str, list[str]] = {}
    job = BackupJob(organization_id=ci.organization_id, ci=ci, name=_text(errors, "name", name, required=True, limit=200),
                    method=method, interval_hours=interval_hours, grace_hours=grace_hours,
                    retention=_text(errors, "retention", retention, limit=100),
                    location=_text(errors, "location", location, limit=300),
                    restore_max_age_days=restore_max_age_days, group=group, created_by=actor, created_at=now)
    _job_validate(job, errors)
    token = job.set_new_token()
    job.save()
    _event(subject="job", obj=job, actor=actor, action="created", now=now, data={
        "name": job.name, "ci": ci.pk, "method": method, "interval_hours": interval_hours})
    return job, token


@transaction.atomic
def backup_job_update(*, job_id: int, actor: Any, version: int | None, changes: dict[str, Any], now: datetime) -> BackupJob:
    job = BackupJob.objects.select_for_update(of=("self",)).select_related("ci").get(pk=job_id)
    _require_edit(actor, job.group)
    if "group" in changes:
        _require_edit(actor, changes["group"])
    _version_check(job, version)
    errors: dict[str, list[str]] = {}
    changed: dict[str, Any] = {}
    for name in JOB_FIELDS:
        if name in changes and getattr(job, name) != changes[name]:
            value = changes[name]
            if name in ("name", "retention", "location"):
                value = _text(errors, name, value, required=name == "name", limit={"name": 200, "retention": 100}.get(name, 300))
            changed[name] = value
            setattr(job, name, value)
    _job_validate(job, errors)
    job.version += 1
    job.save()
    _event(subject="job", obj=job, actor=actor, action="updated", now=now, data=changed)
    return job


@transaction.atomic
def backup_job_token_rotate(*, job_id: int, actor: Any, now: datetime) -> tuple[BackupJob, str]:
    job = BackupJob.objects.select_for_update().get(pk=job_id)
    _require_edit(actor, job.group)
    token = job.set_new_token()
    job.save(update_fields=["token_hash"])
    _event(subject="job", obj=job, actor=actor, action="token_rotated", now=now)
    return job, token


def backup_job_by_token(token: str) -> BackupJob | None:
    from .models import token_digest

    if not token:
        return None
    return BackupJob.objects.filter(token_hash=token_digest(token), is_active=True).select_related("ci").first()


@transaction.atomic
def backup_run_record(*, job: BackupJob, actor: Any | None, outcome: str, started_at: datetime,
                      finished_at: datetime | None = None, size_bytes: int | None = None, message: str = "",
                      source: str = RunSource.MANUAL, now: datetime) -> BackupRun:
    """Record one run. `actor` None: reported with the job's token (the hook or a script). A failed
    run queues the incident task after commit (the beat sweep catches a lost message)."""
    if actor is not None and source == RunSource.MANUAL:
        _require_edit(actor, job.group)
    errors: dict[str, list[str]] = {}
    if outcome not in RunOutcome.values:
        errors["outcome"] = [_("Send ok or failed.")]
    if started_at > now + timedelta(minutes=10):
        errors["started_at"] = [_("The start cannot be in the future.")]
    if finished_at is not None and finished_at < started_at:
        errors["finished_at"] = [_("The end must not be before the start.")]
    if size_bytes is not None and size_bytes < 0:
        errors["size_bytes"] = [_("Enter a size of 0 bytes or more.")]
    message = _text(errors, "message", message)
    if source not in RunSource.values:
        errors["source"] = [_("Unknown source.")]
    if errors:
        raise ValidationError(errors)
    locked = BackupJob.objects.select_for_update().get(pk=job.pk)
    run = BackupRun.objects.create(job=locked, started_at=started_at, finished_at=finished_at, outcome=outcome,
                                   size_bytes=size_bytes, message=message, source=source,
                                   created_by=actor if getattr(actor, "pk", None) else None, created_at=now,
                                   handled_at=now if outcome == RunOutcome.OK else None)
    end = finished_at or started_at
    fields = []
    if locked.last_run_at is None or end > locked.last_run_at:
        locked.last_run_at = end
        fields.append("last_run_at")
    if outcome == RunOutcome.OK and (locked.last_success_at is None or end > locked.last_success_at):
        locked.last_success_at = end
        fields.append("last_success_at")
    if fields:
        locked.save(update_fields=fields)
    _event(subject="job", obj=locked, actor=actor, action="run_recorded", now=now, data={
        "run": run.pk, "outcome": outcome, "source": source, "size_bytes": size_bytes})
    if outcome == RunOutcome.FAILED:
        task_queue_on_commit("assurance.backup_failure_task", run.pk)
    return run


def _job_incident(*, job: BackupJob, title: str, description: str, data: dict[str, Any], now: datetime) -> tuple[Incident, bool]:
    """One open incident per job (the job's row is locked by the caller): a repeat while it is open is
    counted on the job and written as an event on the incident; otherwise a new one opens on the CI."""
    actor = system_actor()
    if job.incident_id is not None:
        current = Incident.objects.filter(pk=job.incident_id, status__in=OPEN_STATUSES).first()
        if current is not None:
            locked = ticket_lock(Incident, current.pk)
            job.incident_repeats += 1
            job.save(update_fields=["incident_repeats"])
            event_record(ticket=locked, actor=actor, action=EventAction.UPDATED, now=now, data={
                "backup": {**_json(data), "job": job.pk, "repeat": job.incident_repeats}})
            return locked, False
    incident = incident_create(actor=actor, organization=job.organization, title=title[:200], description=description,
                               impact=Impact.MEDIUM, urgency=Urgency.MEDIUM, ci=job.ci, channel=Channel.MONITORING,
                               now=now)
    if job.group_id is not None:
        try:
            incident = incident_transition(incident_id=incident.pk, actor=actor, action="assign",
                                           payload={"group": job.group}, now=now)
        except (ValidationError, PermissionDenied):
            log.warning("backup job %s: could not assign incident %s to its group", job.pk, incident.pk)
    job.incident, job.incident_repeats = incident, 0
    job.save(update_fields=["incident", "incident_repeats"])
    _event(subject="job", obj=job, actor=None, action="incident_opened", now=now, data={
        "incident": incident.pk, "number": incident.number, **data})
    return incident, True


def _ticket_text(job: BackupJob) -> Any:
    """The incident a backup job opens is written as the monitoring intake writes its incidents: in
    the site's language (LANGUAGE_CODE), with times as people read them on the organisation's clock
    (not whatever the worker or the reporting request had active, not a raw UTC timestamp)."""
    return reading_as(language=settings.LANGUAGE_CODE, time_zone=organization_zone(job.organization))


def backup_failure_handle(*, run_id: int, now: datetime) -> Incident | None:
    """A failed run → the job's incident (opened or counted). Idempotent per run."""
    with transaction.atomic():
        run = BackupRun.objects.select_related("job").get(pk=run_id)
        job = BackupJob.objects.select_for_update(of=("self",)).select_related("ci", "organization", "group").get(pk=run.job_id)
        run = BackupRun.objects.select_for_update().get(pk=run_id)
        if run.handled_at is not None or run.outcome != RunOutcome.FAILED:
            return None
        with _ticket_text(job):
            title = _("Backup failed: %(job)s on %(ci)s") % {"job": job.name, "ci": job.ci.name}
            description = _("Backup job “%(job)s” (%(method)s) reported a failed run started %(start)s.\n%(message)s") % {
                "job": job.name, "method": job.get_method_display(), "start": human_datetime(run.started_at),
                "message": run.message}
        incident, _created = _job_incident(job=job, now=now, data={"run": run.pk, "reason": "failed"},
                                           title=title, description=description)
        run.incident, run.handled_at = incident, now
        run.save(update_fields=["incident", "handled_at"])
        return incident


def _missed_one(*, job_id: int, now: datetime) -> bool:
    with transaction.atomic():
        job = BackupJob.objects.select_for_update(of=("self",)).select_related("ci", "organization", "group").get(pk=job_id)
        baseline = job.last_success_at or job.created_at
        if not job.is_active or baseline + timedelta(hours=job.interval_hours + job.grace_hours) >= now:
            return False
        if job.missed_reported_for == baseline:
            return False
        job.missed_reported_for = baseline
        job.save(update_fields=["missed_reported_for"])
        with _ticket_text(job):
            title = _("Backup missed: %(job)s on %(ci)s") % {"job": job.name, "ci": job.ci.name}
            description = _("No successful run of backup job “%(job)s” since %(since)s (expected every %(hours)s "
                            "hours).") % {"job": job.name, "since": human_datetime(baseline), "hours": job.interval_hours}
        _job_incident(job=job, now=now, data={"reason": "missed", "since": baseline}, title=title,
                      description=description)
        return True


@dataclass
class SweepSummary:
    failed_handled: int = 0
    missed_reported: int = 0
    errors: int = 0


def backups_sweep(*, now: datetime) -> SweepSummary:
    """The beat: failed runs whose task was lost, and jobs with no successful run within interval +
    grace. Idempotent: a miss is reported once per last success; a second sweep changes nothing."""
    summary = SweepSummary()
    for run_id in BackupRun.objects.filter(outcome=RunOutcome.FAILED, handled_at__isnull=True).values_list(
            "pk", flat=True).order_by("pk")[:500]:
        try:
            summary.failed_handled += backup_failure_handle(run_id=run_id, now=now) is not None
        except Exception:
            log.exception("backup run %s: incident failed", run_id)
            summary.errors += 1
    late = (BackupJob.objects.filter(is_active=True)
            .annotate(baseline=Coalesce(F("last_success_at"), F("created_at")))
            .values_list("pk", "baseline", "interval_hours", "grace_hours", "missed_reported_for"))
    for pk, baseline, interval, grace, reported in late.iterator():
        if baseline + timedelta(hours=interval + grace) >= now or reported == baseline:
            continue
        try:
            summary.missed_reported += _missed_one(job_id=pk, now=now)
        except Exception:
            log.exception("backup job %s: missed-run incident failed", pk)
            summary.errors += 1
    return summary


# --- restore tests ------------------------------------------------------------------------------

@transaction.atomic
def restore_test_schedule(*, actor: Any, job: BackupJob, scheduled_for: date, now: datetime) -> RestoreTest:
    _require_edit(actor, job.group)
    test = RestoreTest.objects.create(job=job, organization_id=job.organization_id, scheduled_for=scheduled_for,
                                      status=RestoreStatus.SCHEDULED, created_at=now)
    _event(subject="restore", obj=test, actor=actor, action="scheduled", now=now, data={
        "job": job.pk, "scheduled_for": scheduled_for})
    return test


@transaction.atomic
def restore_test_record(*, test_id: int, actor: Any, passed: bool, restored_what: str, check_method: str,
                        duration_minutes: int | None, performed_at: datetime, notes: str = "",
                        now: datetime) -> RestoreTest:
    test = RestoreTest.objects.select_for_update(of=("self",)).select_related("job").get(pk=test_id)
    _require_edit(actor, test.job.group)
    errors: dict[str, list[str]] = {}
    if test.status != RestoreStatus.SCHEDULED:
        errors["status"] = [_("This restore test is already recorded or cancelled.")]
    restored_what = _text(errors, "restored_what", restored_what, required=True)
    check_method = _text(errors, "check_method", check_method, required=True)
    notes = _text(errors, "notes", notes)
    if performed_at > now + timedelta(minutes=10):
        errors["performed_at"] = [_("The test cannot be in the future.")]
    if duration_minutes is not None and duration_minutes < 0:
        errors["duration_minutes"] = [_("Enter minutes (0 or more).")]
    if errors:
        raise ValidationError(errors)
    test.status = RestoreStatus.PASSED if passed else RestoreStatus.FAILED
    test.restored_what, test.check_method, test.notes = restored_what, check_method, notes
    test.duration_minutes, test.performed_at, test.recorded_by = duration_minutes, performed_at, actor
    test.save()
    if passed:
        job = BackupJob.objects.select_for_update().get(pk=test.job_id)
        if job.last_restore_ok_at is None or performed_at > job.last_restore_ok_at:
            job.last_restore_ok_at = performed_at
            job.save(update_fields=["last_restore_ok_at"])
    _event(subject="restore", obj=test, actor=actor, action="recorded", now=now, data={
        "status": test.status, "duration_minutes": duration_minutes, "performed_at": performed_at})
    return test


# --- overdue escalation -------------------------------------------------------------------------

def _recipients(group: SupportGroup | None, organization_id: int) -> list[int]:
    from accounts.models import User

    ids = list(User.objects.filter(is_active=True, role=Role.MANAGER).values_list("pk", flat=True)[:20])
    if group is not None and group.lead_id and group.lead_id not in ids:
        ids.insert(0, group.lead_id)
    return ids


def _plan_escalate_one(*, plan_id: int, now: datetime) -> bool:
    with transaction.atomic():
        plan = EmergencyPlan.objects.select_for_update(of=("self",)).select_related("group").get(pk=plan_id)
        today = local_today(plan.organization_id, now)
        if plan.review_escalated_at is not None or not plan.is_active or plan.next_review_due is None \
                or plan.next_review_due >= today:
            return False
        plan.review_escalated_at = now
        plan.save(update_fields=["review_escalated_at"])
        _event(subject="plan", obj=plan, actor=None, action="review_escalated", now=now, data={
            "due": plan.next_review_due})
        link = reverse("assurance:plan_detail", args=[plan.pk])
        notification_emit(event=NotificationEvent.ESCALATION, fault_level=None, organization_id=plan.organization_id,
                          context={
                              "title": msg(gettext_noop("Emergency plan review overdue: %(name)s"), name=plan.name),
                              "body": msg(gettext_noop("The review was due on %(due)s."),
                                          due=plan.next_review_due.isoformat()),
                              "link": link, "group_lead_id": plan.group.lead_id if plan.group else None,
                              "fallback_user_ids": _recipients(plan.group, plan.organization_id)},
                          dedup_key=f"assurance:plan:{plan.pk}:review:{plan.next_review_due.isoformat()}", now=now)
        return True


def _drill_escalate_one(*, drill_id: int, now: datetime) -> bool:
    with transaction.atomic():
        drill = Drill.objects.select_for_update(of=("self",)).select_related("plan__group").get(pk=drill_id)
        if drill.escalated_at is not None or drill.status != DrillStatus.SCHEDULED or drill.record_due_at >= now:
            return False
        drill.escalated_at = now
        drill.save(update_fields=["escalated_at"])
        _event(subject="drill", obj=drill, actor=None, action="escalated", now=now, data={"due": drill.record_due_at})
        group = drill.plan.group
        notification_emit(event=NotificationEvent.ESCALATION, fault_level=None, organization_id=drill.organization_id,
                          context={
                              "title": msg(gettext_noop("Drill not recorded: %(title)s"), title=drill.title),
                              "body": msg(gettext_noop("The drill's record was due by %(due)s."),
                                          due=when(drill.record_due_at)),
                              "link": reverse("assurance:drill_detail", args=[drill.pk]),
                              "group_lead_id": group.lead_id if group else None,
                              "fallback_user_ids": _recipients(group, drill.organization_id)},
                          dedup_key=f"assurance:drill:{drill.pk}:record", now=now)
        return True


def overdue_escalate(*, now: datetime) -> int:
    """Escalate each overdue plan review and unrecorded drill once (idempotent; one failure is
    logged and the others still go)."""
    done = 0
    plans = EmergencyPlan.objects.filter(is_active=True, review_escalated_at__isnull=True,
                                         next_review_due__lt=now.date() + timedelta(days=1))
    for pk in plans.values_list("pk", flat=True)[:1000]:
        try:
            done += _plan_escalate_one(plan_id=pk, now=now)
        except Exception:
            log.exception("emergency plan %s: escalation failed", pk)
    drills = Drill.objects.filter(status=DrillStatus.SCHEDULED, escalated_at__isnull=True, record_due_at__lt=now)
    for pk in drills.values_list("pk", flat=True)[:1000]:
        try:
            done += _drill_escalate_one(drill_id=pk, now=now)
        except Exception:
            log.exception("drill %s: escalation failed", pk)
    return done
