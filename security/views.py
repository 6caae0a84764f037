"""Staff pages of the security follow-up: findings (list, detail, decisions), scanner imports
(upload → preview → import), unmatched rows, antivirus status, and the in-page security overview
(the figures of the security-protection report). Customers get 404 on every page."""

from __future__ import annotations

from datetime import date, datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Organization
from accounts.views import keyset_page, querystring_without, staff_required
from cmdb.selectors import ci_get
from opsdesk.errors import ConflictError
from tickets.forms import error_text, form_add_service_errors

from .choices import FindingStatus, ImportStatus, UpdateSource
from .filtersets import AntivirusFilterSet, FindingFilterSet
from .forms import AssignForm, AVForm, AVUploadForm, DecisionForm, ScanUploadForm
from .models import SecurityPolicy
from .parsers import ScanFileError
from .selectors import (
    antivirus_list,
    finding_events,
    finding_get,
    finding_list,
    import_get,
    import_list,
    security_summary,
    unmatched_get,
    unmatched_list,
)
from .services import (
    antivirus_import_csv,
    antivirus_report,
    finding_transition,
    may_decide,
    scan_import_apply,
    scan_import_discard,
    scan_import_preview,
    unmatched_assign,
)

PAGE = 100


def _params(request: HttpRequest) -> QueryDict:
    params = QueryDict(mutable=True)
    for key, values in request.GET.lists():
        kept = [v for v in values if v.strip()]
        if key != "after" and kept:
            params.setlist(key, kept)
    return params


@require_GET
@staff_required
def finding_list_view(request: HttpRequest) -> HttpResponse:
    params = _params(request)
    if not request.GET:
        params.setlist("status", [FindingStatus.OPEN])
    form = FindingFilterSet(params).form
    try:
        qs = finding_list(user=request.user, filters=params or None)
        rows, cursor = keyset_page(qs, after=request.GET.get("after"), fields=("due_on", "id"), descending=False,
                                   size=PAGE)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        rows, cursor = [], None
    return render(request, "security/finding_list.html", {
        "form": form, "findings": rows, "next_cursor": cursor, "today": timezone.localdate(),
        "base_query": querystring_without(request, "after"),
        "unmatched": unmatched_list(user=request.user).count()})


@require_http_methods(["GET", "POST"])
@staff_required
def finding_detail(request: HttpRequest, pk: int) -> HttpResponse:
    finding = finding_get(user=request.user, pk=pk)
    form = DecisionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                finding_transition(finding_id=finding.pk, action=form.cleaned_data["action"], actor=request.user,
                                   now=timezone.now(), reason=form.cleaned_data["reason"],
                                   version=form.cleaned_data["version"])
            except ConflictError as exc:
                form.add_error(None, exc.message)
                status = 409
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                messages.success(request, _("Finding updated."))
                return redirect("security:finding", finding.pk)
        finding = finding_get(user=request.user, pk=pk)
    return render(request, "security/finding_detail.html", {
        "finding": finding, "events": finding_events(finding=finding)[:100], "form": form,
        "today": timezone.localdate(), "may_accept": may_decide(request.user)}, status=status)


@require_http_methods(["GET", "POST"])
@staff_required
def import_view(request: HttpRequest) -> HttpResponse:
    """Upload a scanner export → a preview of what importing it does (created, updated, unchanged,
    reopened, unmatched, not seen) → confirm or discard."""
    form = ScanUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            scan = scan_import_preview(organization=form.cleaned_data["organization"], content=upload.read(),
                                       filename=upload.name, full_scan=form.cleaned_data["full_scan"],
                                       actor=request.user, now=timezone.now())
        except ScanFileError as exc:
            form.add_error("file", str(exc))
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            return redirect("security:import", scan.pk)
    return render(request, "security/import_form.html", {
        "form": form, "imports": import_list(user=request.user)[:20]},
        status=400 if request.method == "POST" else 200)


@require_http_methods(["GET", "POST"])
@staff_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scan = import_get(user=request.user, pk=pk)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "discard":
                scan_import_discard(import_id=scan.pk, actor=request.user)
                messages.info(request, _("Upload discarded."))
            else:
                scan = scan_import_apply(import_id=scan.pk, actor=request.user, now=timezone.now())
                messages.success(request, _("Import done."))
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        return redirect("security:import", scan.pk)
    rows = unmatched_list(user=request.user, organization_id=scan.organization_id)[:PAGE]
    return render(request, "security/import_detail.html", {
        "scan": scan, "s": scan.summary or {}, "preview": scan.status == ImportStatus.PREVIEW, "unmatched_rows": rows})


@require_GET
@staff_required
def unmatched_view(request: HttpRequest) -> HttpResponse:
    rows = unmatched_list(user=request.user)[:500]
    return render(request, "security/unmatched.html", {"rows": rows, "form": AssignForm()})


@require_POST
@staff_required
def unmatched_assign_view(request: HttpRequest, pk: int) -> HttpResponse:
    row = unmatched_get(user=request.user, pk=pk)
    form = AssignForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter the id of a CI."))
        return redirect("security:unmatched")
    try:
        ci = ci_get(user=request.user, pk=form.cleaned_data["ci"])
        finding = unmatched_assign(row_id=row.pk, ci=ci, actor=request.user, now=timezone.now())
    except Http404:
        messages.error(request, _("No such CI."))
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Row assigned to %(ci)s.") % {"ci": ci.name})
        return redirect("security:finding", finding.pk)
    return redirect("security:unmatched")


@require_http_methods(["GET", "POST"])
@staff_required
def antivirus_view(request: HttpRequest) -> HttpResponse:
    """Antivirus status per CI, flagged rows first; a CSV upload updates many at once."""
    upload = AVUploadForm(request.POST or None, request.FILES or None)
    result = None
    status = 200
    if request.method == "POST":
        status = 400
        if upload.is_valid():
            try:
                f = upload.cleaned_data["file"]
                result = antivirus_import_csv(organization=upload.cleaned_data["organization"], content=f.read(),
                                              filename=f.name, actor=request.user, now=timezone.now())
                status = 200
            except ScanFileError as exc:
                upload.add_error("file", str(exc))
    params = _params(request)
    form = AntivirusFilterSet(params).form
    policy = SecurityPolicy.current()
    today = timezone.localdate()
    try:
        rows = list(antivirus_list(user=request.user, filters=params or None).order_by("ci__name", "id")[:500])
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        rows = []
    for row in rows:
        row.flags = row.problems(today=today, policy=policy)  # type: ignore[attr-defined]
    rows.sort(key=lambda r: (not r.flags, r.ci.name))  # type: ignore[attr-defined]
    return render(request, "security/antivirus.html", {
        "rows": rows, "form": form, "upload": upload, "result": result, "policy": policy}, status=status)


@require_http_methods(["GET", "POST"])
@staff_required
def antivirus_edit(request: HttpRequest, ci_pk: int) -> HttpResponse:
    ci = ci_get(user=request.user, pk=ci_pk)
    current = getattr(ci, "antivirus", None)
    initial = ({"product": current.product, "signature_date": current.signature_date,
                "last_scan_at": timezone.localtime(current.last_scan_at) if current.last_scan_at else None,
                "last_scan_result": current.last_scan_result, "detail": current.detail} if current else {})
    form = AVForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            antivirus_report(ci=ci, data=form.cleaned_data, actor=request.user, source=UpdateSource.MANUAL,
                             now=timezone.now())
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Antivirus status saved."))
            return redirect("security:antivirus")
    return render(request, "security/antivirus_form.html", {"form": form, "ci": ci},
                  status=400 if request.method == "POST" else 200)


@require_GET
@staff_required
def overview(request: HttpRequest) -> HttpResponse:
    """The security-protection figures in the page, per organisation and month (the same selector
    the PDF report uses)."""
    org_id = request.GET.get("organization", "")
    organization = Organization.objects.filter(pk=int(org_id)).first() if org_id.isdigit() and len(org_id) < 12 else None
    month = request.GET.get("month", "")
    now = timezone.now()
    try:
        first = date.fromisoformat(f"{month}-01") if month else timezone.localdate(now).replace(day=1)
    except ValueError:
        messages.error(request, _("Write the month as YYYY-MM."))
        first = timezone.localdate(now).replace(day=1)
    nxt = first.replace(year=first.year + (first.month == 12), month=first.month % 12 + 1)
    tz = timezone.get_current_timezone()
    start = datetime.combine(first, datetime.min.time(), tzinfo=tz)
    end = datetime.combine(nxt, datetime.min.time(), tzinfo=tz)
    figures = security_summary(organization_id=organization.pk if organization else None, start=start, end=end, now=now)
    return render(request, "security/overview.html", {
        "f": figures, "organization": organization, "month": first.strftime("%Y-%m"),
        "organizations": Organization.objects.filter(is_active=True).order_by("name")})
