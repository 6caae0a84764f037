"""The roster pages: who is on duty now (an htmx panel for the hotline and the dispatch queue),
the roster with the coming week, and shift swaps (request; the group lead approves)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import SupportGroup
from accounts.views import staff_required

from .forms import EntryForm, SwapForm
from .models import DutyRule
from .selectors import duty_on_now, pending_swaps, roster_upcoming
from .services import can_manage_roster, duty_entry_create, duty_swap_decide, duty_swap_request


def _group_param(request: HttpRequest) -> SupportGroup | None:
    raw = request.GET.get("group", "")
    if raw.isdigit() and len(raw) < 19:
        return SupportGroup.objects.filter(pk=int(raw), is_active=True).first()
    return None


@require_GET
@staff_required
def panel(request: HttpRequest) -> HttpResponse:
    """htmx fragment (settings.HOTLINE_PANELS, the dispatch queue): who is on duty now."""
    region = request.GET.get("region", "")[:100] or None
    return render(request, "duty/partials/panel.html", {"on_duty": duty_on_now(_group_param(request), region)})


def _roster_page(request: HttpRequest, form: SwapForm, *, entry_form: EntryForm | None = None,
                 status: int = 200) -> HttpResponse:
    group = _group_param(request)
    now = timezone.now()
    start = now.replace(minute=0, second=0, microsecond=0)
    slots = roster_upcoming(group=group, start=start, days=7, step=timedelta(hours=12))
    return render(request, "duty/roster.html", {
        "on_duty": duty_on_now(group, at=now), "slots": slots, "groups": SupportGroup.objects.filter(is_active=True),
        "group": group, "swaps": list(pending_swaps(request.user).select_related("group")[:50]),
        "can_manage": can_manage_roster(request.user), "form": form, "entry_form": entry_form or EntryForm(),
    }, status=status)


@require_GET
@staff_required
def roster(request: HttpRequest) -> HttpResponse:
    return _roster_page(request, SwapForm())


@require_POST
@staff_required
def swap_request(request: HttpRequest) -> HttpResponse:
    form = SwapForm(request.POST)
    if not form.is_valid():
        return _roster_page(request, form, status=400)
    data = form.cleaned_data
    try:
        duty_swap_request(actor=request.user, group=data["group"], with_user=data["with_user"], role=data["role"],
                          starts_at=data["starts_at"], ends_at=data["ends_at"], reason=data["reason"],
                          now=timezone.now())
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return _roster_page(request, form, status=400)
    messages.success(request, _("Swap requested: the group lead decides."))
    return redirect("duty:roster")


@require_POST
@staff_required
def swap_decide(request: HttpRequest, rule_id: int) -> HttpResponse:
    if not DutyRule.objects.filter(pk=rule_id, kind="swap", is_active=True).exists():
        raise Http404
    try:
        duty_swap_decide(actor=request.user, rule_id=rule_id, approve=request.POST.get("decision") == "approve",
                         now=timezone.now())
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("duty:roster")
    messages.success(request, _("Swap decided."))
    return redirect("duty:roster")


@require_POST
@staff_required
def entry_create(request: HttpRequest) -> HttpResponse:
    """Book extra duty (roster managers): special support for a customer's meeting or event,
    major-event duty, or an override."""
    if not can_manage_roster(request.user):
        raise Http404
    form = EntryForm(request.POST)
    if not form.is_valid():
        return _roster_page(request, SwapForm(), entry_form=form, status=400)
    d = form.cleaned_data
    try:
        duty_entry_create(actor=request.user, group=d["group"], kind=d["kind"], role=d["role"], people=list(d["people"]),
                          starts_at=d["starts_at"], ends_at=d["ends_at"], organization=d["organization"],
                          reason=d["reason"], now=timezone.now())
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return _roster_page(request, SwapForm(), entry_form=form, status=400)
    messages.success(request, _("Extra duty booked."))
    return redirect("duty:roster")
