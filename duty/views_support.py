"""Staff side of the customers' special-support requests: the list (waiting first) and one
request's page, where a roster manager books the duty (accept) or declines with a reason."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, IntegerField, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.views import staff_required
from opsdesk.errors import ConflictError

from .choices import SupportRequestStatus
from .forms import SupportAcceptForm, SupportDeclineForm
from .models import SupportRequest
from .selectors import support_requests_visible
from .services import can_manage_roster, support_request_accept, support_request_decline


def _get(request: HttpRequest, pk: int) -> SupportRequest:
    found = support_requests_visible(request.user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


@require_GET
@staff_required
def support_list(request: HttpRequest) -> HttpResponse:
    waiting_first = Case(When(status=SupportRequestStatus.REQUESTED, then=Value(0)), default=Value(1),
                         output_field=IntegerField())
    rows = list(support_requests_visible(request.user).annotate(w=waiting_first).order_by("w", "starts_at", "pk")[:100])
    return render(request, "duty/support_list.html", {"rows": rows})


def _detail(request: HttpRequest, req: SupportRequest, *, accept: SupportAcceptForm | None = None,
            decline: SupportDeclineForm | None = None, status: int = 200) -> HttpResponse:
    return render(request, "duty/support_detail.html", {
        "req": req, "can_manage": can_manage_roster(request.user),
        "accept_form": accept or SupportAcceptForm(initial={"version": req.version}),
        "decline_form": decline or SupportDeclineForm(initial={"version": req.version})}, status=status)


@require_GET
@staff_required
def support_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _get(request, pk))


def _errors(form: Any, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@require_POST
@staff_required
def support_accept(request: HttpRequest, pk: int) -> HttpResponse:
    req = _get(request, pk)
    form = SupportAcceptForm(request.POST)
    if not form.is_valid():
        return _detail(request, req, accept=form, status=400)
    d = form.cleaned_data
    try:
        support_request_accept(actor=request.user, request_id=req.pk, group=d["group"], people=list(d["people"]),
                               role=d["role"], note=d["note"], version=d["version"], now=timezone.now())
    except PermissionDenied:
        raise Http404 from None
    except ConflictError:
        messages.error(request, _("Someone else changed this request meanwhile: look again."))
        return redirect("duty:support_detail", req.pk)
    except ValidationError as exc:
        _errors(form, exc)
        return _detail(request, req, accept=form, status=400)
    messages.success(request, _("Accepted: the special support is on the roster."))
    return redirect("duty:support_detail", req.pk)


@require_POST
@staff_required
def support_decline(request: HttpRequest, pk: int) -> HttpResponse:
    req = _get(request, pk)
    form = SupportDeclineForm(request.POST)
    if not form.is_valid():
        return _detail(request, req, decline=form, status=400)
    try:
        support_request_decline(actor=request.user, request_id=req.pk, reason=form.cleaned_data["reason"],
                                version=form.cleaned_data["version"], now=timezone.now())
    except PermissionDenied:
        raise Http404 from None
    except ConflictError:
        messages.error(request, _("Someone else changed this request meanwhile: look again."))
        return redirect("duty:support_detail", req.pk)
    except ValidationError as exc:
        _errors(form, exc)
        return _detail(request, req, decline=form, status=400)
    messages.success(request, _("Request declined; the customer sees the reason."))
    return redirect("duty:support_detail", req.pk)
