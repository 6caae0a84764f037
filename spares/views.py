"""Staff pages of the spare-parts store: parts, part detail with stock and movement log, movement
forms, the approval queue, the reorder list, loans from the store, replacement records, and the
htmx panels shown on the CI and incident pages. Thin: forms shape input, services write, selectors read."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.views import keyset_page, querystring_without, staff_required
from cmdb.models import CIClass
from cmdb.selectors import ci_get
from incidents.followups import spare_loan_return
from incidents.selectors import FAULT_MONTH_TZ, incident_get, spare_loan_get
from opsdesk.errors import ConflictError
from tickets.forms import error_text, form_add_service_errors

from .choices import MovementKind, ReplacementDecision, RMAStatus
from .filtersets import SparePartFilterSet
from .forms import DecisionForm, LendForm, MovementForm, PartForm, ReplacementForm, RMAAdvanceForm, RMAForm
from .models import Movement, Replacement
from .selectors import (
    incident_movement_list,
    loan_due_list,
    loan_list,
    month_param,
    movement_list,
    movement_pending_list,
    parts_for_ci,
    reorder_list,
    replacement_flagged,
    replacement_get,
    replacement_list,
    rma_get,
    rma_list,
    spare_part_get,
    spare_part_list,
    stock_list,
    storeroom_list,
)
from .services import (
    PART_FIELDS,
    is_approver,
    movement_approve,
    movement_reject,
    movement_request,
    replacement_record,
    replacement_update,
    rma_advance,
    rma_create,
    spare_loan_lend,
    spare_part_create,
    spare_part_update,
)

PAGE = 200


@require_GET
@staff_required
def part_list(request: HttpRequest) -> HttpResponse:
    params = QueryDict(mutable=True)
    for key, values in request.GET.lists():
        kept = [v for v in values if v.strip()]
        if key != "after" and kept:
            params.setlist(key, kept)
    form = SparePartFilterSet(params).form
    try:
        qs = spare_part_list(user=request.user, filters=params or None)
        rows, cursor = keyset_page(qs, after=request.GET.get("after"), fields=("name", "id"), descending=False)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        rows, cursor = [], None
    return render(request, "spares/part_list.html", {
        "parts": rows, "form": form, "next_cursor": cursor, "base_query": querystring_without(request, "after"),
        "classes": CIClass.objects.order_by("name"), "storerooms": storeroom_list(user=request.user),
        "pending": movement_pending_list(user=request.user).count(),
    })


@require_GET
@staff_required
def part_detail(request: HttpRequest, pk: int) -> HttpResponse:
    part = spare_part_get(user=request.user, pk=pk)
    moves, cursor = keyset_page(movement_list(user=request.user, part=part), after=request.GET.get("after"),
                                fields=("requested_at", "id"), size=50)
    return render(request, "spares/part_detail.html", {
        "part": part, "stock": stock_list(user=request.user, part=part).order_by("storeroom__name"),
        "movements": moves, "next_cursor": cursor, "base_query": querystring_without(request, "after"),
        "kinds": MovementKind.choices,
    })


@require_http_methods(["GET", "POST"])
@staff_required
def part_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Create a part (no pk) or edit one; a stale version keeps what was typed and says so (409)."""
    part = spare_part_get(user=request.user, pk=pk) if pk is not None else None
    initial = ({name: getattr(part, name) for name in (*PART_FIELDS, "version")} if part is not None
               else {"is_active": True, "unit": "pcs"})
    form = PartForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = dict(form.cleaned_data)
            version = data.pop("version", None)
            try:
                if part is None:
                    saved = spare_part_create(actor=request.user, data=data, now=timezone.now())
                else:
                    saved = spare_part_update(part_id=part.pk, actor=request.user, data=data, version=version)
            except ConflictError as exc:
                form.add_error(None, exc.message)
                status = 409
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                messages.success(request, _("Spare part saved."))
                return redirect("spares:part", pk=saved.pk)
    return render(request, "spares/part_form.html", {"part": part, "form": form}, status=status)


@require_http_methods(["GET", "POST"])
@staff_required
def movement_add(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    part = spare_part_get(user=request.user, pk=pk)
    if kind not in MovementKind.values:
        raise Http404
    initial = {"incident": request.GET.get("incident", "")}
    form = MovementForm(request.POST or None, kind=kind, user=request.user, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                movement = movement_request(
                    part_id=part.pk, kind=kind, quantity=data["quantity"], actor=request.user, now=timezone.now(),
                    from_storeroom=data.get("from_storeroom"), to_storeroom=data.get("to_storeroom"),
                    incident=data.get("incident"), change=data.get("change"), reference=data["reference"],
                    note=data["note"])
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                if movement.status == "pending":
                    messages.info(request, _("Recorded; it waits for approval before the stock moves."))
                else:
                    messages.success(request, _("%(kind)s of %(n)s × %(part)s recorded.") % {
                        "kind": movement.get_kind_display(), "n": movement.quantity, "part": part.name})
                return redirect("spares:part", pk=part.pk)
    return render(request, "spares/movement_form.html", {
        "part": part, "form": form, "kind": kind, "kind_label": MovementKind(kind).label,
        "stock": stock_list(user=request.user, part=part).order_by("storeroom__name"),
    }, status=status)


@require_GET
@staff_required
def approvals(request: HttpRequest) -> HttpResponse:
    return render(request, "spares/approvals.html", {
        "movements": movement_pending_list(user=request.user)[:PAGE], "can_decide": is_approver(request.user),
        "form": DecisionForm(),
    })


def _decide(request: HttpRequest, pk: int, *, approve: bool) -> HttpResponse:
    movement = Movement.objects.filter(pk=pk).first()
    if movement is None or not movement_list(user=request.user).filter(pk=pk).exists():
        raise Http404
    form = DecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        if approve:
            movement_approve(movement_id=movement.pk, actor=request.user, now=timezone.now(), note=note)
        else:
            movement_reject(movement_id=movement.pk, actor=request.user, now=timezone.now(), note=note)
    except PermissionDenied:
        messages.error(request, _("Only a manager, regional lead or supervisor approves stock movements."))
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Approved: the stock has moved.") if approve else _("Rejected."))
    return redirect("spares:approvals")


@require_POST
@staff_required
def movement_approve_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, approve=True)


@require_POST
@staff_required
def movement_reject_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, approve=False)


@require_GET
@staff_required
def reorder(request: HttpRequest) -> HttpResponse:
    return render(request, "spares/reorder.html", {"parts": reorder_list(user=request.user)[:PAGE]})


@require_http_methods(["GET", "POST"])
@staff_required
def loans(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    show = request.GET.get("show", "open")
    form = LendForm(request.POST or None, user=request.user,
                    initial={"incident": request.GET.get("incident", "")})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                loan = spare_loan_lend(
                    incident_id=data["incident"].pk, actor=request.user, now=now, standby_ci=data["standby_ci"],
                    part=data["part"], storeroom=data["storeroom"], serial=data["serial"], due_back=data["due_back"],
                    note=data["note"])
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                messages.success(request, _("%(device)s lent for %(number)s.") % {
                    "device": loan.description, "number": data["incident"].number})
                return redirect("spares:loans")
    rows = loan_list(user=request.user, now=now)
    if show == "overdue":
        rows = rows.filter(overdue=True)
    return render(request, "spares/loans.html", {
        "loans": list(rows[:PAGE]), "form": form, "now": now, "show": show,
        "due": list(loan_due_list(user=request.user, now=now)[:PAGE]),
        "lend_open": request.method == "POST" or bool(request.GET.get("incident")),
    }, status=status)


@require_POST
@staff_required
def loan_return(request: HttpRequest, pk: int) -> HttpResponse:
    loan = spare_loan_get(user=request.user, pk=pk)
    try:
        spare_loan_return(loan_id=loan.pk, actor=request.user, now=timezone.now())
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Return of %(device)s recorded.") % {"device": loan.description})
    return redirect("spares:loans")


@require_GET
@staff_required
def replacements(request: HttpRequest) -> HttpResponse:
    today = timezone.now().astimezone(FAULT_MONTH_TZ).date()
    raw = request.GET.get("month", today.strftime("%Y-%m"))
    month = month_param(raw)
    return render(request, "spares/replacements.html", {
        "rows": replacement_flagged(user=request.user, month=month), "month": month.strftime("%Y-%m") if month else "",
        "decisions": ReplacementDecision.choices,
        "records": replacement_list(user=request.user).order_by("-decided_at", "-id")[:50],
    })


@require_POST
@staff_required
def replacement_add(request: HttpRequest, ci_pk: int) -> HttpResponse:
    ci = ci_get(user=request.user, pk=ci_pk)
    month = month_param(request.POST.get("month", ""))
    form = ReplacementForm(request.POST, user=request.user, organization_id=ci.organization_id)
    if month is None:
        messages.error(request, _("Say which month the device was flagged in."))
    elif not form.is_valid():
        messages.error(request, error_text(ValidationError(form.errors)))
    else:
        data = form.cleaned_data
        faults = next((row["faults"] for row in replacement_flagged(user=request.user, month=month)
                       if row["ci_id"] == ci.pk), 0)
        try:
            record = replacement_record(ci=ci, month=month, faults=faults, actor=request.user, now=timezone.now(),
                                        decision=data["decision"], replaced_by=data["replaced_by"],
                                        replacement_serial=data["replacement_serial"],
                                        replaced_on=data["replaced_on"], note=data["note"])
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("Decision on %(device)s recorded.") % {"device": ci.name})
            return redirect("spares:replacement", pk=record.pk)
    return redirect(reverse("spares:replacements") + "?" + urlencode({"month": request.POST.get("month", "")}))


@require_http_methods(["GET", "POST"])
@staff_required
def replacement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    record = replacement_get(user=request.user, pk=pk)
    initial = {name: getattr(record, name) for name in ("decision", "replacement_serial", "replaced_on", "note",
                                                       "version")}
    initial["replaced_by"] = record.replaced_by_id
    form = ReplacementForm(request.POST or None, user=request.user, organization_id=record.ci.organization_id,
                           initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = dict(form.cleaned_data)
            version = data.pop("version", None)
            try:
                replacement_update(replacement_id=record.pk, actor=request.user, now=timezone.now(),
                                   version=version, data=data)
            except ConflictError as exc:
                form.add_error(None, exc.message)
                status = 409
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                messages.success(request, _("Replacement record saved."))
                return redirect("spares:replacement", pk=record.pk)
    return render(request, "spares/replacement_detail.html", {"record": record, "form": form}, status=status)


# --- htmx panels on lower apps' pages -------------------------------------------------------

@require_GET
@staff_required
def ci_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """On the CI page (settings.CI_PANELS): spare parts that fit the CI, its loans and replacement records."""
    ci = ci_get(user=request.user, pk=pk)
    return render(request, "spares/partials/ci_panel.html", {
        "ci": ci, "parts": parts_for_ci(user=request.user, ci=ci)[:20],
        "loans": list(loan_list(user=request.user, now=timezone.now(), open_only=False, ci=ci)[:20]),
        "replacements": Replacement.objects.filter(ci=ci).select_related("replaced_by")[:10],
    })


@require_GET
@staff_required
def incident_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """On the incident page (settings.INCIDENT_PANELS): parts issued to or returned from the incident."""
    incident = incident_get(user=request.user, pk=pk)
    return render(request, "spares/partials/incident_panel.html", {
        "incident": incident, "movements": incident_movement_list(user=request.user, incident_id=incident.pk)[:50],
    })



@require_http_methods(["GET", "POST"])
@staff_required
def rmas(request: HttpRequest) -> HttpResponse:
    """Warranty returns (RMA): the open ones first, and the form to record a device sent back."""
    form = RMAForm(request.POST or None, initial={"sent_on": timezone.localdate()})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                ci = ci_get(user=request.user, pk=data.pop("ci"))
                rma_create(ci=ci, actor=request.user, now=timezone.now(), **data)
            except Http404:
                form.add_error("ci", _("No such device."))
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                messages.success(request, _("Warranty return recorded."))
                return redirect("spares:rmas")
    show = request.GET.get("show", "open")
    rows = rma_list(user=request.user, open_only=show != "all").order_by("-sent_on", "-id")[:PAGE]
    return render(request, "spares/rmas.html", {
        "form": form, "rows": rows, "show": show, "advance_form": RMAAdvanceForm(initial={"on": timezone.localdate()}),
        "statuses": RMAStatus.choices}, status=status)


@require_POST
@staff_required
def rma_advance_view(request: HttpRequest, pk: int) -> HttpResponse:
    rma = rma_get(user=request.user, pk=pk)
    form = RMAAdvanceForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(m) for errs in form.errors.values() for m in errs))
        return redirect("spares:rmas")
    try:
        rma_advance(rma_id=rma.pk, actor=request.user, **form.cleaned_data)
    except ConflictError as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Warranty return updated."))
    return redirect("spares:rmas")
