"""Staff pages of the e-mail triage list: mails from unknown senders wait here until someone opens
a ticket for an organisation or discards them. Thin: forms shape input, services write, selectors read."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.views import keyset_page, staff_required
from tickets.choices import TicketKind
from tickets.forms import error_text, form_add_service_errors

from .forms import TriageDiscardForm, TriageOpenForm
from .selectors import attachment_names, triage_get, triage_list
from .services import triage_discard, triage_open_ticket


@require_GET
@staff_required
def triage_list_view(request: HttpRequest) -> HttpResponse:
    try:
        rows, cursor = keyset_page(triage_list(user=request.user), after=request.GET.get("after"),
                                   fields=("received_at", "id"))
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        rows, cursor = [], None
    return render(request, "mailin/triage_list.html", {"mails": rows, "next_cursor": cursor})


def _detail(request: HttpRequest, pk: int, *, open_form: TriageOpenForm | None = None,
            discard_form: TriageDiscardForm | None = None, status: int = 200) -> HttpResponse:
    inbound = triage_get(user=request.user, pk=pk)
    return render(request, "mailin/triage_detail.html", {
        "mail": inbound, "attachments": attachment_names(inbound),
        "open_form": open_form or TriageOpenForm(user=request.user),
        "discard_form": discard_form or TriageDiscardForm(),
    }, status=status)


@require_GET
@staff_required
def triage_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, pk)


@require_POST
@staff_required
def triage_open(request: HttpRequest, pk: int) -> HttpResponse:
    triage_get(user=request.user, pk=pk)
    form = TriageOpenForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            ticket = triage_open_ticket(inbound_id=pk, actor=request.user, organization=form.cleaned_data["organization"],
                                        contact=form.cleaned_data["contact"], open_as=form.cleaned_data["open_as"],
                                        now=timezone.now())
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("%(number)s opened from the mail.") % {"number": ticket.number})
            route = "incidents:detail" if ticket.KIND == TicketKind.INCIDENT else "tickets:detail"
            return redirect(route, ticket.pk)
    return _detail(request, pk, open_form=form, status=400)


@require_POST
@staff_required
def triage_discard_view(request: HttpRequest, pk: int) -> HttpResponse:
    triage_get(user=request.user, pk=pk)
    form = TriageDiscardForm(request.POST)
    if form.is_valid():
        try:
            triage_discard(inbound_id=pk, actor=request.user, note=form.cleaned_data["note"], now=timezone.now())
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("The mail was discarded (it stays in the inbound log)."))
            return redirect("mailin:triage")
    return _detail(request, pk, discard_form=form, status=400)
