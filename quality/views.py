"""Staff pages of the quality app: the call-back queue (回访), complaints, satisfaction figures
and questionnaire rounds. Thin: forms shape input, services write, selectors read."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.views import staff_required
from incidents.models import Incident
from tickets.forms import error_text, form_add_service_errors

from .forms import CallbackForm, CallImportForm, ConnectRateForm, FiguresForm, RoundForm
from .models import Callback
from .selectors import (
    callback_incident_get,
    callback_list,
    callback_queue,
    complaint_list,
    is_quality_staff,
    satisfaction_figures,
    survey_round_get,
    survey_round_list,
    survey_round_results,
    survey_yearly_stats,
)
from .services import callback_follow_up_close, callback_record, phone_calls_import, survey_round_send

PAGE = 100


def _quality_staff(request: HttpRequest) -> None:
    if not is_quality_staff(request.user):
        raise Http404


@require_GET
@staff_required
def callbacks(request: HttpRequest) -> HttpResponse:
    _quality_staff(request)
    return render(request, "quality/callbacks.html", {
        "queue": callback_queue(user=request.user)[:PAGE], "form": CallbackForm(),
        "follow_ups": callback_list(user=request.user, follow_up=True)[:PAGE],
    })


@require_POST
@staff_required
def callback_add(request: HttpRequest, pk: int) -> HttpResponse:
    incident = callback_incident_get(user=request.user, pk=pk)
    form = CallbackForm(request.POST)
    if not form.is_valid():
        messages.error(request, error_text(ValidationError(form.errors)))
        return redirect("quality:callbacks")
    data = form.cleaned_data
    try:
        callback_record(incident_id=incident.pk, actor=request.user, outcome=data["outcome"],
                        satisfaction=data["satisfaction"], notes=data["notes"], follow_up=data["follow_up"],
                        now=timezone.now())
    except ValidationError as exc:
        messages.error(request, f"{incident.number}: {error_text(exc)}")
    except (PermissionDenied, Incident.DoesNotExist):
        raise Http404 from None
    else:
        messages.success(request, _("%(number)s: call-back recorded.") % {"number": incident.number})
    return redirect("quality:callbacks")


@require_POST
@staff_required
def follow_up_close(request: HttpRequest, pk: int) -> HttpResponse:
    _quality_staff(request)
    try:
        callback = callback_follow_up_close(callback_id=pk, actor=request.user, note=request.POST.get("note", ""),
                                            now=timezone.now())
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    except (PermissionDenied, Callback.DoesNotExist):
        raise Http404 from None
    else:
        messages.success(request, _("%(number)s: follow-up closed.") % {"number": callback.incident.number})
    return redirect("quality:callbacks")


@require_GET
@staff_required
def complaints(request: HttpRequest) -> HttpResponse:
    return render(request, "quality/complaints.html", {"complaints": complaint_list(user=request.user)[:PAGE]})


@require_GET
@staff_required
def figures(request: HttpRequest) -> HttpResponse:
    _quality_staff(request)
    form = FiguresForm(request.GET or None)
    rows: list[Any] = []
    group_by: tuple[str, ...] = ("organization", "month")
    if form.is_valid() or not request.GET:
        data = form.cleaned_data if request.GET else {}
        group_by = tuple(data.get("group_by") or group_by)
        rows = list(satisfaction_figures(user=request.user, source=data.get("source") or "rating", group_by=group_by,
                                         date_from=data.get("date_from"), date_to=data.get("date_to"))[:500])
    return render(request, "quality/figures.html", {"form": form, "rows": rows, "group_by": group_by})


@require_http_methods(["GET", "POST"])
@staff_required
def surveys(request: HttpRequest) -> HttpResponse:
    _quality_staff(request)
    now = timezone.now()
    year_text = request.GET.get("year", "")
    year = int(year_text) if year_text.isdigit() and 2000 <= int(year_text) <= 2100 else timezone.localdate(now).year
    form = RoundForm(request.POST or None, initial={"year": year, "half": 1 if timezone.localdate(now).month <= 6 else 2})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                survey_round = survey_round_send(actor=request.user, questionnaire=data["questionnaire"],
                                                 organization=data["organization"], year=data["year"],
                                                 half=data["half"], now=now)
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                messages.success(request, _("Questionnaire sent to %(n)s contacts.")
                                 % {"n": survey_round.invitations.count()})
                return redirect("quality:surveys")
        status = 400
    return render(request, "quality/surveys.html", {
        "form": form, "rounds": survey_round_list(user=request.user)[:PAGE], "year": year,
        "stats": survey_yearly_stats(user=request.user, year=year),
    }, status=status)


@require_GET
@staff_required
def survey_round(request: HttpRequest, pk: int) -> HttpResponse:
    _quality_staff(request)
    survey = survey_round_get(user=request.user, pk=pk)
    return render(request, "quality/survey_round.html", {"round": survey, **survey_round_results(round=survey)})


@require_http_methods(["GET", "POST"])
@staff_required
def calls(request: HttpRequest) -> HttpResponse:
    """The hotline connect rate (接通率) per month against its target, and the upload of the phone system's
    call records (CDR CSV) it is computed from (the same import as `manage.py import_cdr`)."""
    from accounts.selectors import organization_list

    from .figures import connect_rate_by_month, month_back

    _quality_staff(request)
    now = timezone.now()
    orgs = organization_list(user=request.user).filter(is_active=True).order_by("name")
    shown = request.GET.get("organization", "")
    upload = CallImportForm(request.POST or None, request.FILES or None, organizations=orgs,
                            initial={"organization": shown} if shown.isdigit() else None)
    status = 200
    if request.method == "POST":
        if upload.is_valid():
            f = upload.cleaned_data["file"]
            org = upload.cleaned_data["organization"]
            result = phone_calls_import(actor=request.user, organization=org, data=f.read(), filename=f.name, now=now)
            messages.success(request, _("%(org)s: %(read)s calls read, %(created)s new, %(unchanged)s already "
                                        "imported, %(errors)s lines not read.") % {
                "org": org.name, "read": result["read"], "created": result["created"],
                "unchanged": result["unchanged"], "errors": len(result["errors"])})
            for err in result["errors"][:20]:
                messages.warning(request, _("Line %(line)s: %(message)s") % err)
            return redirect(f"{request.path}?organization={org.pk}")
        status = 400
    pick = ConnectRateForm(request.GET or None, organizations=orgs)
    org = pick.cleaned_data.get("organization") if pick.is_valid() else None
    org = org or orgs.first()  # one organisation at a time: a regional lead sees only their region's
    months = (connect_rate_by_month(organization_id=org.pk, start=month_back(now, 11), end=now)
              if org is not None else [])
    if org is not None and not pick.is_bound:
        pick = ConnectRateForm(initial={"organization": org.pk}, organizations=orgs)
    # Newest first, months without a single call left out (a phone shows one card per month).
    months = [m for m in reversed(months) if m["offered"]]
    return render(request, "quality/calls.html", {"upload": upload, "pick": pick, "months": months},
                  status=status)
