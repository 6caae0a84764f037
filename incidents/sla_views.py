"""Operator pages for the SLA follow-ups: progress updates, the fault report and spare-device loans on
the incident page, and the staff lists (overdue fault reports, major incidents, CIs flagged for
replacement, open spare loans). Thin: forms shape input, incidents.followups writes, selectors read."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.views import staff_required
from opsdesk.errors import ConflictError
from tickets.forms import form_add_service_errors

from .followups import fault_report_save, fault_report_submit, progress_update_add, spare_loan_create, spare_loan_return
from .forms import FaultReportForm, ProgressForm, SpareLoanForm
from .selectors import (
    FAULT_MONTH_TZ,
    ci_replacement_list,
    fault_report_get,
    fault_report_overdue,
    incident_get,
    incident_major_list,
    spare_loan_get,
    spare_loan_list,
)
from .views import _detail

LIST_SIZE = 200


def _back(incident: Any, anchor: str) -> HttpResponse:
    return redirect(reverse("incidents:detail", args=[incident.pk]) + f"#{anchor}")


# --- On the incident page -----------------------------------------------------------------

@require_POST
@staff_required
def progress_add(request: HttpRequest, pk: int) -> HttpResponse:
    incident = incident_get(user=request.user, pk=pk)
    form = ProgressForm(request.POST, prefix="progress")
    if form.is_valid():
        try:
            progress_update_add(incident_id=incident.pk, author=request.user, body=form.cleaned_data["body"],
                                now=timezone.now())
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Progress update recorded; the customer can see it."))
            return _back(incident, "progress")
    return _detail(request, incident, status=400, forms={"progress_form": form})


@require_POST
@staff_required
def fault_report_post(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the draft, or save and submit it (button `submit`). A stale version keeps the typed text."""
    incident = incident_get(user=request.user, pk=pk)
    form = FaultReportForm(request.POST)
    if not form.is_valid():
        return _detail(request, incident, status=400, forms={"report_form": form, "report_open": True})
    now = timezone.now()
    version = form.cleaned_data.get("version")
    try:
        report = fault_report_save(incident_id=incident.pk, author=request.user, data=form.sections(),
                                   version=version, now=now)
        if "submit" in request.POST:
            fault_report_submit(incident_id=incident.pk, author=request.user, version=report.version, now=now)
    except ConflictError as exc:
        current = fault_report_get(user=request.user, incident=incident)
        data = request.POST.copy()
        data[form.add_prefix("version")] = str(exc.current_version)  # a second save applies it on purpose
        retry = FaultReportForm(data)
        retry.is_valid()
        retry.add_error(None, exc.message)
        messages.error(request, _("Not saved: someone else changed the fault report while you were editing. "
                                  "Your text is kept below; compare it with the current report and save again."))
        return _detail(request, incident, status=409, forms={
            "report_form": retry, "report_open": True, "report_conflict": current})
    except ValidationError as exc:
        form_add_service_errors(form, exc)
        return _detail(request, incident, status=400, forms={"report_form": form, "report_open": True})
    messages.success(request, _("Fault report submitted.") if "submit" in request.POST else _("Draft saved."))
    return _back(incident, "fault-report")


@require_POST
@staff_required
def loan_add(request: HttpRequest, pk: int) -> HttpResponse:
    incident = incident_get(user=request.user, pk=pk)
    form = SpareLoanForm(request.POST, user=request.user, incident=incident)
    if form.is_valid():
        try:
            spare_loan_create(incident_id=incident.pk, actor=request.user, now=timezone.now(), **form.cleaned_data)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Spare device loan recorded."))
            return _back(incident, "loans")
    return _detail(request, incident, status=400, forms={"loan_form": form, "loan_open": True})


@require_POST
@staff_required
def loan_return(request: HttpRequest, pk: int) -> HttpResponse:
    loan = spare_loan_get(user=request.user, pk=pk)
    try:
        spare_loan_return(loan_id=loan.pk, actor=request.user, now=timezone.now())
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms))
    except PermissionDenied:
        raise Http404 from None
    else:
        messages.success(request, _("Return of %(device)s recorded.") % {"device": loan.description})
    target = request.POST.get("next", "")
    if target == "loans":
        return redirect("incidents:loans_open")
    return _back(loan.incident, "loans")


# --- Staff lists --------------------------------------------------------------------------

@require_GET
@staff_required
def reports_overdue(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    return render(request, "incidents/reports_overdue.html", {
        "incidents": list(fault_report_overdue(user=request.user, now=now)[:LIST_SIZE]), "now": now,
    })


@require_GET
@staff_required
def major_incidents(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    return render(request, "incidents/major.html", {
        "incidents": list(incident_major_list(user=request.user)[:LIST_SIZE]), "now": now,
    })


def _month_param(raw: str, *, today: date) -> date | None:
    """`YYYY-MM` → the first of that month; empty → None (every month); bad → this month."""
    if not raw:
        return None
    try:
        year, month = (int(part) for part in raw.split("-", 1))
        return date(year, month, 1)
    except (TypeError, ValueError):
        return date(today.year, today.month, 1)


@require_GET
@staff_required
def replacements(request: HttpRequest) -> HttpResponse:
    today = timezone.now().astimezone(FAULT_MONTH_TZ).date()
    raw = request.GET.get("month", today.strftime("%Y-%m")).strip()
    month = _month_param(raw, today=today)
    return render(request, "incidents/replacements.html", {
        "rows": list(ci_replacement_list(user=request.user, month=month)[:LIST_SIZE]),
        "month": month.strftime("%Y-%m") if month else "", "fault_tz": FAULT_MONTH_TZ,
    })


@require_GET
@staff_required
def loans_open(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    return render(request, "incidents/loans_open.html", {
        "loans": list(spare_loan_list(user=request.user, open_only=True)[:LIST_SIZE]), "now": now,
    })
