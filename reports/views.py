"""Staff pages of the reports app: ask for a report and follow its progress (htmx polling), the
archive of generated reports with downloads and publishing, monthly schedules, the live dashboard,
and the Excel export of any filtered incident list. Thin: forms → services, selectors → templates."""

from __future__ import annotations

import tempfile
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from rest_framework.exceptions import NotFound

from accounts.selectors import organization_list
from accounts.views import keyset_page, querystring_without, staff_required
from incidents.selectors import incident_list
from opsdesk.replica import reporting_as_of, reporting_reads

from . import charts
from .api.views import run_file_response
from .choices import RunStatus
from .excel import rows_workbook
from .filtersets import ReportRunFilterSet
from .forms import ReportRequestForm, ScheduleForm
from .models import ReportRun
from .selectors import dashboard_figures, report_run_get, report_run_list, schedule_emails, schedule_get, schedule_list
from .services import (
    can_publish,
    default_pack,
    monthly_kind_codes,
    report_publish,
    report_request,
    run_period_label,
    schedule_due_period,
    schedule_save,
)


def _apply_errors(form: Any, exc: ValidationError) -> None:
    for field, errors in getattr(exc, "message_dict", {"__all__": exc.messages}).items():
        target = field if field in form.fields else None
        for error in errors:
            form.add_error(target, error)


def _previous_month(now: Any) -> str:
    return schedule_due_period(now).text


@staff_required
@require_http_methods(["GET", "POST"])
def report_list(request: HttpRequest) -> HttpResponse:
    """The archive of generated reports (newest first, filtered) and the form to ask for a new one."""
    now = timezone.now()
    orgs = organization_list(user=request.user).only("id", "name", "code")
    if request.method == "POST":
        form = ReportRequestForm(request.POST, organizations=orgs)
        if form.is_valid():
            data = form.cleaned_data
            incident_id = None
            if data["incident"]:
                incident_id = incident_list(user=request.user).filter(
                    number=data["incident"].strip().upper()).values_list("pk", flat=True).first() or 0
            try:
                run = report_request(actor=request.user, kind=data["kind"], period=data["period"],
                                     organization=data["organization"], incident=incident_id,
                                     options=form.options(), language=data["language"], now=now)
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("The report is being generated."))
                return redirect("reports:detail", pk=run.pk)
    else:
        form = ReportRequestForm(organizations=orgs, initial={
            "kind": "monthly_fault_summary", "period": _previous_month(now),
            "language": getattr(request, "LANGUAGE_CODE", "zh-hans")})
    params = QueryDict(mutable=True)
    for key, values in request.GET.lists():
        kept = [v for v in values if v.strip()]
        if key != "after" and kept:
            params.setlist(key, kept)
    fs = ReportRunFilterSet(params, queryset=report_run_list(user=request.user))
    if fs.is_valid():
        runs, cursor = keyset_page(fs.qs, after=request.GET.get("after"), fields=("created_at", "id"))
    else:
        messages.error(request, " ".join(m for ms in fs.errors.values() for m in ms))
        runs, cursor = [], None
    return render(request, "reports/report_list.html", {
        "form": form, "runs": _decorate(runs), "next_cursor": cursor, "filter_form": fs.form,
        "organizations": orgs, "base_query": querystring_without(request, "after"),
        "statuses": RunStatus.choices,
    })


def _decorate(runs: list[ReportRun]) -> list[ReportRun]:
    from .registry import kind_get

    for run in runs:
        try:
            run.kind_title = str(kind_get(run.kind).title)  # type: ignore[attr-defined]
        except KeyError:
            run.kind_title = run.kind  # type: ignore[attr-defined]
        run.period_text = run_period_label(run)  # type: ignore[attr-defined]
    return runs


def _kind_title(code: str) -> str:
    from .registry import kind_get

    try:
        return str(kind_get(code).title)
    except KeyError:
        return code


# Labels of the typed inputs of report kinds (ReportInput.options), shown on the run's page.
OPTION_LABELS = {
    "summary": gettext_lazy("Summary"), "notes": gettext_lazy("Notes"),
    "recommendations": gettext_lazy("Evaluation and recommendations"), "content": gettext_lazy("Report content"),
    "version_number": gettext_lazy("Version"), "published_by": gettext_lazy("Published by"),
}


@staff_required
@require_GET
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = report_run_get(user=request.user, pk=pk)
    options = [(OPTION_LABELS.get(key, key), value) for key, value in (run.options or {}).items()]
    return render(request, "reports/report_detail.html", {
        "run": _decorate([run])[0], "options": options, "can_publish": can_publish(request.user)})


@staff_required
@require_GET
def report_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The htmx fragment the detail page polls every second until the run is finished."""
    run = report_run_get(user=request.user, pk=pk)
    return render(request, "reports/_progress.html", {"run": run, "can_publish": can_publish(request.user)})


@staff_required
@require_GET
def report_download(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    if fmt not in ("pdf", "xlsx"):
        raise Http404
    run = report_run_get(user=request.user, pk=pk)
    try:
        return run_file_response(run, fmt=fmt)
    except NotFound:  # not ready yet
        raise Http404 from None


@staff_required
@require_POST
def report_publish_view(request: HttpRequest, pk: int) -> HttpResponse:
    run = report_run_get(user=request.user, pk=pk)
    publish = request.POST.get("published", "1") == "1"
    try:
        report_publish(run_id=run.pk, actor=request.user, now=timezone.now(), published=publish)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Published to the customer portal.") if publish
                         else _("Withdrawn from the customer portal."))
    return redirect("reports:detail", pk=run.pk)


# --- schedules ---------------------------------------------------------------------------------------

@staff_required
@require_GET
def schedule_list_view(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    schedules = list(schedule_list(user=request.user))
    for schedule in schedules:
        schedule.kind_titles = [_kind_title(code) for code in schedule.kinds]  # type: ignore[attr-defined]
    return render(request, "reports/schedule_list.html", {
        "schedules": schedules, "can_edit": can_publish(request.user), "next_period": _previous_month(now),
    })


@staff_required
@require_http_methods(["GET", "POST"])
def schedule_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    schedule = schedule_get(user=request.user, pk=pk) if pk is not None else None
    if not can_publish(request.user):
        raise Http404
    codes = monthly_kind_codes()
    if request.method == "POST":
        form = ScheduleForm(request.POST, instance=schedule, kind_codes=codes)
        if form.is_valid():
            d = form.cleaned_data
            try:
                saved = schedule_save(actor=request.user, schedule_id=schedule.pk if schedule else None,
                                      name=d["name"], organization=d["organization"], kinds=d["kinds"],
                                      recipients=d["recipients"], language=d["language"], publish=d["publish"],
                                      is_active=d["is_active"], now=timezone.now())
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("Schedule saved."))
                return redirect("reports:schedule_edit", pk=saved.pk)
    else:
        form = ScheduleForm(instance=schedule, kind_codes=codes,
                            initial=None if schedule else {"kinds": default_pack(), "is_active": True})
    emails = schedule_emails(user=request.user, schedule=schedule) if schedule else []
    runs = _decorate(list(report_run_list(user=request.user).filter(schedule=schedule)[:24])) if schedule else []
    return render(request, "reports/schedule_form.html", {"form": form, "schedule": schedule, "emails": emails,
                                                          "runs": runs})


# --- dashboard -----------------------------------------------------------------------------------------

@staff_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    org_text = request.GET.get("organization", "")
    org_id = int(org_text) if org_text.isdigit() and len(org_text) < 12 else None
    with reporting_reads():  # the reporting replica, when there is one (opsdesk/replica.py)
        d = dashboard_figures(user=request.user, now=now, organization_id=org_id)
        data_as_of = reporting_as_of()
        recent = _decorate(list(report_run_list(user=request.user)[:5]))
    trend_labels = [t["month"][2:] for t in d["trend"]]
    charts_ctx = {
        "open": charts.bar_chart(labels=[r["level"] for r in d["open_by_level"]],
                                 values=[r["count"] for r in d["open_by_level"]], width=360, height=200),
        "trend": charts.stacked_bar_chart(
            labels=trend_labels, series=[(lv, [t["levels"][i] for t in d["trend"]])
                                         for i, lv in enumerate(("I", "II", "III", "IV"))], width=640, height=260),
        "top_cis": charts.hbar_chart(labels=[c["name"] for c in d["top_cis"]],
                                     values=[c["n"] for c in d["top_cis"]], width=560) if d["top_cis"] else "",
    }
    return render(request, "reports/dashboard.html", {
        "d": d, "charts": charts_ctx, "organizations": organization_list(user=request.user).only("id", "name"),
        "selected_org": org_text, "recent": recent, "data_as_of": data_as_of,
    })


# --- Excel export of a filtered incident list -----------------------------------------------------------

EXPORT_COLUMNS = (
    ("number", "number"), ("title", "title"), ("fault_level", "fault level"), ("status", "status"),
    ("channel", "channel"), ("organization__name", "organisation"), ("ci__name", "CI"),
    ("assignee__username", "assignee"), ("group__name", "support group"), ("reported_at", "reported at"),
    ("responded_at", "responded at"), ("onsite_at", "on site at"), ("restored_at", "restored at"),
    ("resolved_at", "resolved at"), ("closed_at", "closed at"), ("respond_due", "response due"),
    ("restore_due", "restore due"), ("cause_category", "cause category"), ("escalation_level", "escalation level"),
)


def _export_headers() -> list[str]:
    return [_("Number"), _("Title"), _("Fault level"), _("Status"), _("Channel"), _("Organisation"), _("CI"),
            _("Assignee"), _("Support group"), _("Reported at"), _("Responded at"), _("On site at"),
            _("Restored at"), _("Resolved at"), _("Closed at"), _("Response due"), _("Restore due"),
            _("Cause category"), _("Escalation level")]


@staff_required
@require_GET
def export_incidents(request: HttpRequest) -> HttpResponse:
    """The incident list's filters (same FilterSet and selector as the list page and API) as .xlsx,
    streamed through openpyxl's write-only mode; capped at EXPORT_ROW_CAP rows (said in the last row)."""
    from incidents.choices import CauseCategory, FaultLevel, IncidentStatus
    from tickets.choices import Channel

    params = QueryDict(mutable=True)
    for key, values in request.GET.lists():
        kept = [v for v in values if v.strip()]
        if key not in ("after",) and kept:
            params.setlist(key, kept)
    try:
        qs = incident_list(user=request.user, filters=params if params else None)
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in getattr(exc, "message_dict", {"": exc.messages}).values()
                                         for m in ms))
        return redirect(reverse("incidents:list") + ("?" + params.urlencode() if params else ""))
    labels = {**dict(FaultLevel.choices), **{f"s:{k}": v for k, v in IncidentStatus.choices},
              **{f"c:{k}": v for k, v in Channel.choices}, **{f"k:{k}": v for k, v in CauseCategory.choices}}
    fields = [f for f, _h in EXPORT_COLUMNS]
    rows = (qs.select_related(None).order_by("-reported_at", "-id")
            .values_list(*fields).iterator(chunk_size=2000))

    def readable(row: tuple[Any, ...]) -> list[Any]:
        out = list(row)
        out[2] = str(labels.get(out[2], out[2]))
        out[3] = str(labels.get(f"s:{out[3]}", out[3]))
        out[4] = str(labels.get(f"c:{out[4]}", out[4]))
        out[17] = str(labels.get(f"k:{out[17]}", out[17] or ""))
        return out

    out = tempfile.TemporaryFile()
    with reporting_reads():  # the rows stream from the reporting replica, when there is one
        as_of = reporting_as_of()
        about = [_("Data as of %(t)s (reporting copy; the last few seconds may be missing).") % {
            "t": formats.date_format(timezone.localtime(as_of), "DATETIME_FORMAT")}] if as_of else []
        rows_workbook(title=_("Incidents"), headers=_export_headers(), rows=(readable(r) for r in rows), out=out,
                      widths=[16, 40, 14, 12, 10, 24, 24, 14, 16, 17, 17, 17, 17, 17, 17, 17, 17, 18, 8],
                      about=about)
    out.seek(0)
    stamp = timezone.localtime(timezone.now()).strftime("%Y%m%d-%H%M")
    return FileResponse(out, as_attachment=True, filename=f"incidents-{stamp}.xlsx",
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

