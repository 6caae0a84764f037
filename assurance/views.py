"""Staff pages of the assurance app (thin: selectors read, services write). Customers: 404 (the
API gives them a read-only view of their own organisation's records)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.selectors import organization_list
from accounts.views import keyset_page, querystring_without, staff_required
from cmdb.selectors import ci_get
from opsdesk.errors import ConflictError
from tickets.forms import error_text, form_add_service_errors

from .choices import BackupMethod, DrillStatus, RestoreStatus, RunSource
from .filtersets import BackupJobFilterSet, DrillFilterSet, PlanFilterSet
from .forms import (
    DrillForm,
    DrillRecordForm,
    FindingForm,
    JobForm,
    PlanForm,
    ReasonForm,
    RestoreRecordForm,
    RestoreScheduleForm,
    ReviewForm,
    RunForm,
)
from .selectors import (
    assurance_overview,
    ci_assurance,
    drill_get,
    drill_list,
    events_of,
    job_get,
    job_list,
    job_runs,
    plan_get,
    plan_list,
    restore_get,
)
from .services import (
    backup_job_create,
    backup_job_token_rotate,
    backup_job_update,
    backup_run_record,
    can_edit,
    drill_cancel,
    drill_record,
    drill_schedule,
    finding_add,
    finding_problem_open,
    plan_create,
    plan_review_record,
    plan_update,
    restore_test_record,
    restore_test_schedule,
)


def _params(request: HttpRequest) -> QueryDict:
    params = QueryDict(mutable=True)
    for key, values in request.GET.lists():
        kept = [v for v in values if v.strip()]
        if key != "after" and kept:
            params.setlist(key, kept)
    return params


def _form_page(request: HttpRequest, form: Any, *, title: str, submit: str, cancel: str, status: int = 200,
               intro: str = "") -> HttpResponse:
    return render(request, "assurance/form.html", {"form": form, "title": title, "submit": submit, "cancel": cancel,
                                                   "intro": intro}, status=status)


def _edit_check(request: HttpRequest, group: Any) -> None:
    if not can_edit(request.user, group):
        raise PermissionDenied


@require_GET
@staff_required
def overview_view(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    return render(request, "assurance/overview.html", {**assurance_overview(user=request.user, now=now), "now": now})


def _list_page(request: HttpRequest, selector: Any, *, order: tuple[str, str], filterset: Any,
               rows_name: str) -> tuple[dict[str, Any], Any]:
    """One keyset page of a record list with its filter form: what the three list pages share."""
    now = timezone.now()
    params = _params(request)
    try:
        rows, cursor = keyset_page(selector(user=request.user, filters=params or None, now=now),
                                   after=request.GET.get("after"), fields=order)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        rows, cursor = [], None
    return {rows_name: rows, "next_cursor": cursor, "base_query": querystring_without(request, "after"),
            "filter_form": filterset(params).form, "organizations": organization_list(user=request.user).order_by("name"),
            "selected_org": request.GET.get("organization", "")}, now


# --- plans --------------------------------------------------------------------------------------

@require_GET
@staff_required
def plan_list_view(request: HttpRequest) -> HttpResponse:
    context, now = _list_page(request, plan_list, order=("updated_at", "id"), filterset=PlanFilterSet, rows_name="plans")
    return render(request, "assurance/plan_list.html", {
        **context, "today": timezone.localdate(now), "can_create": can_edit(request.user)})


@require_http_methods(["GET", "POST"])
@staff_required
def plan_create_view(request: HttpRequest) -> HttpResponse:
    org = request.POST.get("organization") or request.GET.get("organization", "")
    org_id = int(org) if org.isdigit() else None
    if request.method != "POST":
        form = PlanForm(user=request.user, organization_id=org_id, initial={"organization": org_id})
        return _form_page(request, form, title=_("New emergency plan"), submit=_("Save"), cancel="assurance:plans")
    form = PlanForm(request.POST, user=request.user, organization_id=org_id)
    if form.is_valid():
        data = form.cleaned_data
        try:
            plan = plan_create(actor=request.user, now=timezone.now(), organization=data["organization"],
                               name=data["name"], scenario=data["scenario"], steps=data["steps"],
                               contacts=data["contacts"], rto_minutes=data["rto_minutes"],
                               review_interval_months=data["review_interval_months"],
                               last_reviewed_on=data["last_reviewed_on"], group=data["group"], cis=list(data["cis"]))
        except PermissionDenied:
            form.add_error("group", _("You may only create plans for a group you belong to (managers: any)."))
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Emergency plan saved."))
            return redirect("assurance:plan_detail", plan.pk)
    return _form_page(request, form, title=_("New emergency plan"), submit=_("Save"), cancel="assurance:plans",
                      status=400)


@require_GET
@staff_required
def plan_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    plan = plan_get(user=request.user, pk=pk)
    return render(request, "assurance/plan_detail.html", {
        "plan": plan, "cis": plan.cis.order_by("name"), "drills": plan.drills.order_by("-scheduled_start")[:50],
        "events": events_of(user=request.user, subject="plan", obj=plan)[:50],
        "review_form": ReviewForm(initial={"reviewed_on": timezone.localdate()}), "drill_form": DrillForm(),
        "can_edit": can_edit(request.user, plan.group), "today": timezone.localdate()})


@require_http_methods(["GET", "POST"])
@staff_required
def plan_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    plan = plan_get(user=request.user, pk=pk)
    _edit_check(request, plan.group)
    title = _("Edit emergency plan")
    if request.method != "POST":
        form = PlanForm(user=request.user, organization_id=plan.organization_id, initial=PlanForm.initial_of(plan))
        form.fields["organization"].disabled = True
        return _form_page(request, form, title=title, submit=_("Save"), cancel="assurance:plans")
    form = PlanForm(request.POST, user=request.user, organization_id=plan.organization_id,
                    initial=PlanForm.initial_of(plan))
    form.fields["organization"].disabled = True
    if form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("organization", None)
        data["cis"] = list(data["cis"])
        try:
            plan_update(plan_id=plan.pk, actor=request.user, version=_version(request), changes=data, now=timezone.now())
        except ConflictError:
            form.add_error(None, _("Someone else changed this plan meanwhile; reload and try again."))
        except PermissionDenied:
            form.add_error("group", _("You may only move a plan to a group you belong to (managers: any)."))
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Emergency plan saved."))
            return redirect("assurance:plan_detail", plan.pk)
    return _form_page(request, form, title=title, submit=_("Save"), cancel="assurance:plans", status=400)


def _version(request: HttpRequest) -> int | None:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else None


@require_POST
@staff_required
def plan_review_view(request: HttpRequest, pk: int) -> HttpResponse:
    plan = plan_get(user=request.user, pk=pk)
    _edit_check(request, plan.group)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            plan_review_record(plan_id=plan.pk, actor=request.user, now=timezone.now(), **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("Review recorded."))
            return redirect("assurance:plan_detail", plan.pk)
    else:
        messages.error(request, error_text(ValidationError(form.errors)))
    return redirect("assurance:plan_detail", plan.pk)


@require_POST
@staff_required
def drill_create_view(request: HttpRequest, pk: int) -> HttpResponse:
    plan = plan_get(user=request.user, pk=pk)
    _edit_check(request, plan.group)
    form = DrillForm(request.POST)
    if form.is_valid():
        try:
            drill = drill_schedule(actor=request.user, plan=plan, now=timezone.now(), **form.cleaned_data)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Drill scheduled."))
            return redirect("assurance:drill_detail", drill.pk)
    return _form_page(request, form, title=_("Schedule a drill"), submit=_("Schedule"), cancel="assurance:plans",
                      status=400)


# --- drills -------------------------------------------------------------------------------------

@require_GET
@staff_required
def drill_list_view(request: HttpRequest) -> HttpResponse:
    context, now = _list_page(request, drill_list, order=("scheduled_start", "id"), filterset=DrillFilterSet, rows_name="drills")
    return render(request, "assurance/drill_list.html", {**context, "now": now, "statuses": DrillStatus.choices})


def _drill_page(request: HttpRequest, drill: Any, *, record_form: Any = None, status: int = 200) -> HttpResponse:
    return render(request, "assurance/drill_detail.html", {
        "drill": drill, "findings": drill.findings.select_related("problem"),
        "record_form": record_form or DrillRecordForm(steps=drill.plan.step_list, initial={
            "participants": drill.participants, "recovery_minutes": drill.recovery_minutes, "summary": drill.summary,
            **{f"step_{r['step']}_done": r.get("done") for r in drill.step_results or []},
            **{f"step_{r['step']}_notes": r.get("notes") for r in drill.step_results or []}}),
        "finding_form": FindingForm(), "cancel_form": ReasonForm(), "now": timezone.now(),
        "events": events_of(user=request.user, subject="drill", obj=drill)[:50],
        "can_edit": can_edit(request.user, drill.plan.group)}, status=status)


@require_GET
@staff_required
def drill_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _drill_page(request, drill_get(user=request.user, pk=pk))


@require_POST
@staff_required
def drill_record_view(request: HttpRequest, pk: int) -> HttpResponse:
    drill = drill_get(user=request.user, pk=pk)
    _edit_check(request, drill.plan.group)
    form = DrillRecordForm(request.POST, steps=drill.plan.step_list)
    if form.is_valid():
        data = form.cleaned_data
        try:
            drill_record(drill_id=drill.pk, actor=request.user, version=_version(request),
                         participants=data["participants"], step_results=form.step_results(),
                         recovery_minutes=data["recovery_minutes"], summary=data["summary"],
                         findings=data["findings"], now=timezone.now())
        except ConflictError:
            form.add_error(None, _("Someone else changed this drill meanwhile; reload and try again."))
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Drill recorded."))
            return redirect("assurance:drill_detail", drill.pk)
    return _drill_page(request, drill, record_form=form, status=400)


@require_POST
@staff_required
def drill_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    drill = drill_get(user=request.user, pk=pk)
    _edit_check(request, drill.plan.group)
    form = ReasonForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors)
        drill_cancel(drill_id=drill.pk, actor=request.user, version=None, reason=form.cleaned_data["reason"],
                     now=timezone.now())
        messages.success(request, _("Drill cancelled."))
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    return redirect("assurance:drill_detail", drill.pk)


@require_POST
@staff_required
def finding_add_view(request: HttpRequest, pk: int) -> HttpResponse:
    drill = drill_get(user=request.user, pk=pk)
    _edit_check(request, drill.plan.group)
    form = FindingForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors)
        finding_add(drill_id=drill.pk, actor=request.user, text=form.cleaned_data["text"], now=timezone.now())
        messages.success(request, _("Finding added."))
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    return redirect("assurance:drill_detail", drill.pk)


@require_POST
@staff_required
def finding_problem_view(request: HttpRequest, pk: int, finding_id: int) -> HttpResponse:
    drill = drill_get(user=request.user, pk=pk)
    _edit_check(request, drill.plan.group)
    finding = drill.findings.filter(pk=finding_id).first()
    if finding is None:
        raise Http404
    try:
        problem = finding_problem_open(finding_id=finding.pk, actor=request.user, now=timezone.now())
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Problem %(number)s opened for the finding.") % {"number": problem.number})
    return redirect("assurance:drill_detail", drill.pk)


# --- backups ------------------------------------------------------------------------------------

@require_GET
@staff_required
def job_list_view(request: HttpRequest) -> HttpResponse:
    context, now = _list_page(request, job_list, order=("created_at", "id"), filterset=BackupJobFilterSet, rows_name="jobs")
    return render(request, "assurance/job_list.html", {
        **context, "now": now, "methods": BackupMethod.choices, "can_create": can_edit(request.user)})


def _job_form_data(data: dict[str, Any]) -> dict[str, Any]:
    return {k: data[k] for k in ("name", "method", "interval_hours", "grace_hours", "retention", "location",
                                 "restore_max_age_days", "group")}


@require_http_methods(["GET", "POST"])
@staff_required
def job_create_view(request: HttpRequest) -> HttpResponse:
    title = _("New backup job")
    if request.method != "POST":
        initial = {"ci": request.GET["ci"]} if request.GET.get("ci", "").isdigit() else {}
        return _form_page(request, JobForm(user=request.user, initial=initial), title=title, submit=_("Save"),
                          cancel="assurance:jobs")
    form = JobForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            job, token = backup_job_create(actor=request.user, ci=form.cleaned_data["ci"], now=timezone.now(),
                                           **_job_form_data(form.cleaned_data))
        except PermissionDenied:
            form.add_error("group", _("You may only create jobs for a group you belong to (managers: any)."))
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            return _token_page(request, job, token)
    return _form_page(request, form, title=title, submit=_("Save"), cancel="assurance:jobs", status=400)


def _token_page(request: HttpRequest, job: Any, token: str) -> HttpResponse:
    return render(request, "assurance/job_token.html", {
        "job": job, "token": token,
        "report_url": request.build_absolute_uri("/api/v1/assurance/backup-runs/report/")})


@require_GET
@staff_required
def job_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    now = timezone.now()
    job = job_get(user=request.user, pk=pk, now=now)
    return render(request, "assurance/job_detail.html", {
        "job": job, "runs": job_runs(job=job)[:50], "restore_tests": job.restore_tests.order_by("-scheduled_for")[:20],
        "run_form": RunForm(initial={"started_at": timezone.localtime(now).replace(second=0, microsecond=0)}),
        "restore_form": RestoreScheduleForm(initial={"scheduled_for": timezone.localdate(now)}),
        "events": events_of(user=request.user, subject="job", obj=job)[:50],
        "can_edit": can_edit(request.user, job.group), "now": now, "scheduled": RestoreStatus.SCHEDULED})


@require_http_methods(["GET", "POST"])
@staff_required
def job_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    job = job_get(user=request.user, pk=pk, now=timezone.now())
    _edit_check(request, job.group)
    title = _("Edit backup job")
    initial = {"ci": job.ci_id, "name": job.name, "method": job.method, "interval_hours": job.interval_hours,
               "grace_hours": job.grace_hours, "retention": job.retention, "location": job.location,
               "restore_max_age_days": job.restore_max_age_days, "group": job.group_id}
    form = JobForm(request.POST or None, user=request.user, initial=initial)
    form.fields["ci"].disabled = True
    if request.method == "POST" and form.is_valid():
        try:
            backup_job_update(job_id=job.pk, actor=request.user, version=_version(request),
                              changes=_job_form_data(form.cleaned_data), now=timezone.now())
        except ConflictError:
            form.add_error(None, _("Someone else changed this job meanwhile; reload and try again."))
        except PermissionDenied:
            form.add_error("group", _("You may only move a job to a group you belong to (managers: any)."))
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Backup job saved."))
            return redirect("assurance:job_detail", job.pk)
    return _form_page(request, form, title=title, submit=_("Save"), cancel="assurance:jobs",
                      status=400 if request.method == "POST" else 200)


@require_POST
@staff_required
def job_token_view(request: HttpRequest, pk: int) -> HttpResponse:
    job = job_get(user=request.user, pk=pk, now=timezone.now())
    _edit_check(request, job.group)
    job, token = backup_job_token_rotate(job_id=job.pk, actor=request.user, now=timezone.now())
    return _token_page(request, job, token)


@require_POST
@staff_required
def run_create_view(request: HttpRequest, pk: int) -> HttpResponse:
    job = job_get(user=request.user, pk=pk, now=timezone.now())
    _edit_check(request, job.group)
    form = RunForm(request.POST)
    if form.is_valid():
        try:
            backup_run_record(job=job, actor=request.user, source=RunSource.MANUAL, now=timezone.now(),
                              **form.cleaned_data)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Backup run recorded."))
            return redirect("assurance:job_detail", job.pk)
    return _form_page(request, form, title=_("Enter a backup run"), submit=_("Save"), cancel="assurance:jobs",
                      status=400)


@require_POST
@staff_required
def restore_schedule_view(request: HttpRequest, pk: int) -> HttpResponse:
    job = job_get(user=request.user, pk=pk, now=timezone.now())
    _edit_check(request, job.group)
    form = RestoreScheduleForm(request.POST)
    if form.is_valid():
        restore_test_schedule(actor=request.user, job=job, now=timezone.now(), **form.cleaned_data)
        messages.success(request, _("Restore test scheduled."))
        return redirect("assurance:job_detail", job.pk)
    return _form_page(request, form, title=_("Schedule a restore test"), submit=_("Schedule"),
                      cancel="assurance:jobs", status=400)


@require_http_methods(["GET", "POST"])
@staff_required
def restore_record_view(request: HttpRequest, pk: int) -> HttpResponse:
    test = restore_get(user=request.user, pk=pk)
    _edit_check(request, test.job.group)
    title = _("Record the restore test of %(job)s") % {"job": test.job.name}
    if request.method != "POST":
        form = RestoreRecordForm(initial={"performed_at": timezone.localtime().replace(second=0, microsecond=0)})
        return _form_page(request, form, title=title, submit=_("Save"), cancel="assurance:jobs")
    form = RestoreRecordForm(request.POST)
    if form.is_valid():
        try:
            restore_test_record(test_id=test.pk, actor=request.user, now=timezone.now(), **form.cleaned_data)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Restore test recorded."))
            return redirect("assurance:job_detail", test.job_id)
    return _form_page(request, form, title=title, submit=_("Save"), cancel="assurance:jobs", status=400)


@require_GET
@staff_required
def ci_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx fragment for the CI page (settings.CI_PANELS): the CI's emergency plans and backup jobs."""
    ci = ci_get(user=request.user, pk=pk)
    now = timezone.now()
    return render(request, "assurance/partials/ci_panel.html", {"ci": ci, **ci_assurance(user=request.user, ci=ci, now=now),
                                                                "can_edit": can_edit(request.user)})
