"""Staff pages for changes: list, create/edit with the risk questionnaire, detail (plans, risk, CIs
and impact, CAB votes, customer approvals, conflicts, timeline, workflow buttons), "my CAB votes",
and the htmx panels shown on incident and CI pages. Thin: forms shape, services write, selectors read."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.views import filtered_page, querystring_without, staff_required
from cmdb.selectors import ci_get
from incidents.models import Incident
from incidents.selectors import incident_get
from opsdesk.errors import ConflictError
from tickets.forms import error_text, form_add_service_errors
from tickets.views import TicketPages, timeline_decorate

from . import impact
from .choices import ChangeStatus
from .conflicts import change_conflicts
from .filtersets import ChangeFilterSet
from .forms import ChangeActionForm, ChangeForm, IncidentLinkForm
from .models import ChangeReview
from .risk import risk_answer_labels
from .selectors import (
    cab_pending_for,
    change_approvals,
    change_get,
    change_incident_links,
    change_list,
    change_timeline,
    change_votes,
    ci_change_list,
    incident_change_links,
)
from .services import (
    cab_needed,
    cab_tally,
    change_create,
    change_incident_link,
    change_incident_open,
    change_transition,
    change_update,
    customer_approval_mail_retry,
)
from .workflow import CHANGE_WORKFLOW, EDITABLE_STATUSES


@require_GET
@staff_required
def change_list_view(request: HttpRequest) -> HttpResponse:
    form, rows, cursor = filtered_page(request, filterset_class=ChangeFilterSet, select=change_list)
    return render(request, "changes/change_list.html", {
        "changes": rows, "form": form, "next_cursor": cursor, "base_query": querystring_without(request, "after"),
        "cab_pending": cab_pending_for(user=request.user).count(),
    })


@require_GET
@staff_required
def cab_queue(request: HttpRequest) -> HttpResponse:
    return render(request, "changes/cab_queue.html", {"changes": list(cab_pending_for(user=request.user)[:200])})


def _form_page(request: HttpRequest, form: ChangeForm, *, change: Any = None, status: int = 200) -> HttpResponse:
    return render(request, "changes/change_form.html", {"form": form, "change": change}, status=status)


@require_http_methods(["GET", "POST"])
@staff_required
def change_create_view(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        initial = {k: request.GET[k] for k in ("organization", "type") if request.GET.get(k)}
        if request.GET.get("ci", "").isdigit():
            initial["cis"] = [request.GET["ci"]]
        return _form_page(request, ChangeForm(initial=initial, user=request.user))
    form = ChangeForm(request.POST, user=request.user)
    if not form.is_valid():
        return _form_page(request, form, status=400)
    try:
        change = change_create(actor=request.user, now=timezone.now(), **form.create_kwargs())
    except ValidationError as exc:
        _risk_errors(form, exc)
        return _form_page(request, form, status=400)
    messages.success(request, _("%(number)s created as a draft. Submit it when it is complete.")
                     % {"number": change.number})
    return redirect("changes:detail", pk=change.pk)


def _risk_errors(form: ChangeForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict") and "risk_answers" in exc.message_dict:
        for message in exc.message_dict["risk_answers"]:
            form.add_error(None, message)
        rest = {k: v for k, v in exc.message_dict.items() if k != "risk_answers"}
        if rest:
            form_add_service_errors(form, ValidationError(rest))
        return
    form_add_service_errors(form, exc)


@require_http_methods(["GET", "POST"])
@staff_required
def change_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    change = change_get(user=request.user, pk=pk)
    if change.status not in EDITABLE_STATUSES:
        messages.error(request, _("A change can be edited only before it goes to approval."))
        return redirect("changes:detail", pk=change.pk)
    if request.method != "POST":
        return _form_page(request, ChangeForm(initial=ChangeForm.initial_for(change), user=request.user,
                                              change=change), change=change)
    form = ChangeForm(request.POST, user=request.user, change=change)
    if not form.is_valid():
        return _form_page(request, form, change=change, status=400)
    try:
        change_update(change_id=change.pk, actor=request.user, version=form.cleaned_data["version"],
                      changes=form.changes(), now=timezone.now())
    except ConflictError as exc:
        form.add_error(None, exc.message)
        return _form_page(request, form, change=change, status=409)
    except ValidationError as exc:
        _risk_errors(form, exc)
        return _form_page(request, form, change=change, status=400)
    messages.success(request, _("Changes saved."))
    return redirect("changes:detail", pk=change.pk)


def _action_forms(change: Any, user: Any, bound: ChangeActionForm | None) -> list[ChangeActionForm]:
    forms = []
    for transition in CHANGE_WORKFLOW.allowed(change, user):
        if bound is not None and bound.transition.action == transition.action:
            forms.append(bound)
        else:
            forms.append(ChangeActionForm(transition=transition, initial={"version": change.version}))
    return forms


def _detail(request: HttpRequest, change: Any, *, status: int = 200, bound: ChangeActionForm | None = None,
            forms: dict[str, Any] | None = None) -> HttpResponse:
    user = request.user
    timeline = timeline_decorate(change_timeline(user=user, change=change), workflow=CHANGE_WORKFLOW,
                                 status_labels=dict(ChangeStatus.choices))
    cis = list(change.cis.select_related("ci_class").order_by("name"))
    conflicts = (change_conflicts(change=change, start=change.planned_start, end=change.planned_end)
                 if change.planned_start and change.planned_end and change.status not in (
                     ChangeStatus.CLOSED, ChangeStatus.CANCELLED, ChangeStatus.REJECTED) else [])
    tally = None
    if change.cab is not None and change.cab_round:
        counts = cab_tally(change)
        tally = {**counts, "needed": cab_needed(change.cab, counts["members"])}
    context: dict[str, Any] = {
        "ticket": change, "change": change, "timeline": timeline, "cis": cis,
        "impact": impact.change_impact(user=user, cis=cis),
        "risk_rows": risk_answer_labels(change.risk_answers or {}),
        "conflicts": conflicts, "votes": list(change_votes(user=user, change=change)), "tally": tally,
        "approvals": list(change_approvals(user=user, change=change)),
        "incident_links": list(change_incident_links(user=user, change=change)),
        "problems": list(change.problems.all()),
        "review": ChangeReview.objects.filter(change=change).select_related("reviewer").first(),
        "transition_forms": _action_forms(change, user, bound),
        **CHANGE_PAGES.timeline_context(),
        "link_form": IncidentLinkForm(), "editable": change.status in EDITABLE_STATUSES,
        "can_open_incident": change.status in (ChangeStatus.FAILED, ChangeStatus.BACKED_OUT),
        # Panels of higher apps (releases, spares, documents), loaded by htmx so this app never imports
        # them: settings.CHANGE_PANELS lists URL names taking the change's pk (absent: none).
        "change_panels": [reverse(name, args=[change.pk]) for name in getattr(settings, "CHANGE_PANELS", [])],
    }
    context.update(forms or {})
    return render(request, "changes/change_detail.html", context, status=status)


def _schedule_conflicts(request: HttpRequest, change: Any) -> None:
    """After a change is scheduled: say which freeze or maintenance windows it meets."""
    if request.POST.get("action") == "schedule" and change.planned_start and change.planned_end:
        for conflict in change_conflicts(change=change, start=change.planned_start, end=change.planned_end):
            messages.warning(request, conflict.message)


# The shared ticket pages (transition, timeline add, attachment), parameterised by the kind.
CHANGE_PAGES = TicketPages(namespace="changes", get=change_get, detail=_detail, workflow=CHANGE_WORKFLOW,
                           service=change_transition, id_kwarg="change_id", form_class=ChangeActionForm,
                           after_transition=_schedule_conflicts)


@require_POST
@staff_required
def change_incident_link_view(request: HttpRequest, pk: int) -> HttpResponse:
    change = change_get(user=request.user, pk=pk)
    form = IncidentLinkForm(request.POST)
    if form.is_valid():
        number = form.cleaned_data["incident"].strip().upper()
        incident = Incident.objects.visible_to(request.user).filter(number=number).first()
        if incident is None:
            form.add_error("incident", _("No incident with this number."))
        else:
            try:
                change_incident_link(change_id=change.pk, incident=incident, actor=request.user, now=timezone.now(),
                                     relation=form.cleaned_data["relation"], note=form.cleaned_data["note"])
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                messages.success(request, _("%(number)s linked.") % {"number": incident.number})
                return redirect(reverse("changes:detail", args=[change.pk]) + "#incidents")
    return _detail(request, change, status=400, forms={"link_form": form, "link_open": True})


@require_POST
@staff_required
def change_incident_open_view(request: HttpRequest, pk: int) -> HttpResponse:
    change = change_get(user=request.user, pk=pk)
    try:
        incident = change_incident_open(change_id=change.pk, actor=request.user, now=timezone.now())
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect("changes:detail", pk=change.pk)
    except PermissionDenied:
        raise Http404 from None
    messages.success(request, _("%(number)s opened and linked to this change.") % {"number": incident.number})
    return redirect("incidents:detail", pk=incident.pk)


@require_POST
@staff_required
def customer_approval_mail_retry_view(request: HttpRequest, pk: int, approval_id: int) -> HttpResponse:
    """Send a failed customer-approval e-mail again (the change page's approvals card)."""
    change = change_get(user=request.user, pk=pk)
    if not change.customer_approvals.filter(pk=approval_id).exists():
        raise Http404
    try:
        approval = customer_approval_mail_retry(approval_id=approval_id, actor=request.user, now=timezone.now())
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    except PermissionDenied:
        raise Http404 from None
    else:
        messages.success(request, _("The approval e-mail is being sent again to %(email)s.") % {"email": approval.email})
    return redirect(reverse("changes:detail", args=[change.pk]) + "#approvals")


# --- panels on other apps' pages (settings.INCIDENT_PANELS, settings.CI_PANELS) -----------------

@require_GET
@staff_required
def incident_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx: the changes linked to an incident, for the incident page's aside."""
    incident = incident_get(user=request.user, pk=pk)
    return render(request, "changes/partials/incident_panel.html", {
        "incident": incident, "links": list(incident_change_links(user=request.user, incident=incident)),
    })


@require_GET
@staff_required
def ci_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx: the latest changes touching a CI, for the CI page."""
    ci = ci_get(user=request.user, pk=pk)
    return render(request, "changes/partials/ci_panel.html", {
        "ci": ci, "changes": ci_change_list(user=request.user, ci=ci), "now": timezone.now(),
    })
