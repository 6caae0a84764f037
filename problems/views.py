"""Staff pages for problems and known errors, and the htmx panels the incident page and the hotline
load (settings.INCIDENT_PANELS / HOTLINE_PANELS). Thin: forms shape input, services write,
selectors read. Customers get 404 everywhere here (their read access is the API)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.selectors import organization_list
from accounts.views import filtered_page, querystring_without, staff_required
from cmdb.selectors import ci_list
from incidents.selectors import incident_get
from opsdesk.errors import ConflictError
from tickets.choices import EventAction
from tickets.forms import error_text, form_add_service_errors
from tickets.views import TicketPages, timeline_decorate

from .choices import ProblemStatus
from .filtersets import ProblemFilterSet
from .forms import LinkIncidentsForm, ProblemCreateForm, ProblemEditForm, ProblemTransitionForm
from .selectors import (
    candidate_incidents,
    incident_candidate,
    incident_ids_visible,
    incidents_from_text,
    known_error_search,
    known_error_suggestions,
    problem_candidates,
    problem_counts,
    problem_get,
    problem_links,
    problem_list,
    problem_timeline,
    problems_of_incident,
    problems_open_for_link,
)
from .services import (
    problem_create,
    problem_link_incidents,
    problem_transition,
    problem_unlink_incident,
    problem_update,
)
from .workflow import PROBLEM_OPEN, PROBLEM_WORK, PROBLEM_WORKFLOW, UI_HIDDEN_ACTIONS

KNOWN_ERROR_PAGE = 50


def _can(user: Any, roles: frozenset[str]) -> bool:
    return bool(user.is_superuser or user.role in roles)


def _messages_from(request: HttpRequest, exc: ValidationError) -> None:
    messages.error(request, error_text(exc))


# --- list, create ------------------------------------------------------------------------------

@require_GET
@staff_required
def problem_list_view(request: HttpRequest) -> HttpResponse:
    form, rows, cursor = filtered_page(request, filterset_class=ProblemFilterSet, select=problem_list)
    return render(request, "problems/problem_list.html", {
        "problems": rows, "filter_form": form, "next_cursor": cursor,
        "organizations": organization_list(user=request.user).only("id", "name"),
        "selected_org": request.GET.get("organization", ""), "counts": problem_counts(user=request.user),
        "base_query": querystring_without(request, "after"), "can_open": _can(request.user, PROBLEM_OPEN),
    })


def _preselected(request: HttpRequest) -> list[Any]:
    raw = request.GET.get("incidents", "") if request.method == "GET" else request.POST.get("incidents", "")
    ids = [int(p) for p in raw.split(",") if p.strip().isdigit() and len(p.strip()) < 19][:100]
    return list(incident_ids_visible(user=request.user, ids=ids)) if ids else []


@staff_required
def problem_create_view(request: HttpRequest) -> HttpResponse:
    if not _can(request.user, PROBLEM_OPEN):
        raise Http404
    incidents = _preselected(request)
    if request.method != "POST":
        first = incidents[0] if incidents else None
        org_id = first.organization_id if first else None
        if org_id is None and str(request.GET.get("organization", "")).isdigit():
            org_id = int(request.GET["organization"])
        initial: dict[str, Any] = {"incidents": ",".join(str(i.pk) for i in incidents), "organization": org_id}
        if first is not None:
            initial.update(title=first.title, ci=first.ci_id, cause_category=first.cause_category,
                           workaround=first.workaround)
        if str(request.GET.get("ci", "")).isdigit():
            initial["ci"] = int(request.GET["ci"])
        if request.GET.get("title"):
            initial["title"] = request.GET["title"][:200]
        form = ProblemCreateForm(initial=initial, user=request.user, organization_id=org_id)
        return render(request, "problems/problem_form.html", {"form": form, "incidents": incidents})
    form = ProblemCreateForm(request.POST, user=request.user)
    if form.is_valid():
        data = dict(form.cleaned_data)
        ids = form.incident_ids()
        data.pop("incidents", None)
        try:
            problem = problem_create(actor=request.user, incident_ids=ids, now=timezone.now(), **data)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
            if "incidents" in getattr(exc, "message_dict", {}):
                for message in exc.message_dict["incidents"]:
                    form.add_error(None, message)
        except PermissionDenied:
            raise Http404 from None
        else:
            messages.success(request, _("%(number)s opened.") % {"number": problem.number})
            return redirect("problems:detail", pk=problem.pk)
    return render(request, "problems/problem_form.html", {"form": form, "incidents": incidents}, status=400)


# --- detail ------------------------------------------------------------------------------------

def _transition_forms(problem: Any, user: Any, bound: ProblemTransitionForm | None) -> list[ProblemTransitionForm]:
    forms = []
    for transition in PROBLEM_WORKFLOW.allowed(problem, user):
        if transition.action in UI_HIDDEN_ACTIONS:
            continue
        if bound is not None and bound.transition.action == transition.action:
            forms.append(bound)
            continue
        initial: dict[str, Any] = {"version": problem.version}
        if transition.action == "known_error":
            initial.update(root_cause=problem.root_cause, workaround=problem.workaround)
        forms.append(ProblemTransitionForm(transition=transition, initial=initial))
    return forms


def _detail(request: HttpRequest, problem: Any, *, status: int = 200, bound: ProblemTransitionForm | None = None,
            forms: dict[str, Any] | None = None) -> HttpResponse:
    timeline = timeline_decorate(problem_timeline(user=request.user, problem=problem), workflow=PROBLEM_WORKFLOW,
                                 status_labels=dict(ProblemStatus.choices))
    for item in timeline:  # name the incident (or change) a link event is about
        data = getattr(item, "data", None) or {}
        if getattr(item, "kind", "") == "event" and item.action in (EventAction.LINKED, EventAction.UNLINKED):
            subject = data.get("number") or data.get("change")
            if subject:
                item.title = f"{item.title}: {subject}"
    can_work = _can(request.user, PROBLEM_WORK)
    context: dict[str, Any] = {
        "ticket": problem, "problem": problem, "timeline": timeline,
        "links": list(problem_links(user=request.user, problem=problem)),
        "transition_forms": _transition_forms(problem, request.user, bound),
        "edit_form": ProblemEditForm(initial=ProblemEditForm.initial_for(problem), user=request.user, problem=problem),
        "link_form": LinkIncidentsForm(initial={"version": problem.version}),
        **PROBLEM_PAGES.timeline_context(), "can_work": can_work, "can_link": _can(request.user, PROBLEM_OPEN),
        "editable": problem.status not in (ProblemStatus.CLOSED, ProblemStatus.CANCELLED),
    }
    context.update(forms or {})
    return render(request, "problems/problem_detail.html", context, status=status)


# The shared ticket pages (transition, timeline add, attachment), parameterised by the kind.
PROBLEM_PAGES = TicketPages(namespace="problems", get=problem_get, detail=_detail, workflow=PROBLEM_WORKFLOW,
                            service=problem_transition, id_kwarg="problem_id", form_class=ProblemTransitionForm,
                            hidden_actions=UI_HIDDEN_ACTIONS)


@require_POST
@staff_required
def problem_edit(request: HttpRequest, pk: int) -> HttpResponse:
    def save(problem: Any, form: ProblemEditForm) -> None:
        problem_update(problem_id=problem.pk, actor=request.user, version=form.cleaned_data["version"],
                       changes=form.changes(), now=timezone.now())

    return PROBLEM_PAGES.edit(
        request, pk, form=lambda data, problem: ProblemEditForm(data, user=request.user, problem=problem),
        save=save, conflict_message=_(
            "Not saved: someone else changed this problem while you were editing. "
            "Your text is kept below; compare it with the current values and save again."))


@require_POST
@staff_required
def problem_link(request: HttpRequest, pk: int) -> HttpResponse:
    problem = problem_get(user=request.user, pk=pk)
    form = LinkIncidentsForm(request.POST)
    if not form.is_valid():
        return _detail(request, problem, status=400, forms={"link_form": form, "link_open": True})
    ids, unknown = incidents_from_text(user=request.user, text=form.cleaned_data["incidents"])
    if unknown:
        form.add_error("incidents", _("No incident %(tokens)s.") % {"tokens": ", ".join(unknown[:10])})
        return _detail(request, problem, status=400, forms={"link_form": form, "link_open": True})
    try:
        problem_link_incidents(problem_id=problem.pk, actor=request.user, incident_ids=ids,
                               version=form.cleaned_data["version"], now=timezone.now())
    except ConflictError as exc:
        form.add_error(None, exc.message)
        return _detail(request, problem_get(user=request.user, pk=pk), status=409,
                       forms={"link_form": form, "link_open": True})
    except ValidationError as exc:
        form.add_error("incidents", error_text(exc))
        return _detail(request, problem, status=400, forms={"link_form": form, "link_open": True})
    except PermissionDenied:
        raise Http404 from None
    messages.success(request, _("Incidents linked."))
    return redirect(reverse("problems:detail", args=[problem.pk]) + "#incidents")


@require_POST
@staff_required
def problem_unlink(request: HttpRequest, pk: int, incident_pk: int) -> HttpResponse:
    problem = problem_get(user=request.user, pk=pk)
    incident = incident_get(user=request.user, pk=incident_pk)
    try:
        problem_unlink_incident(problem_id=problem.pk, actor=request.user, incident_id=incident.pk,
                                now=timezone.now())
    except ValidationError as exc:
        _messages_from(request, exc)
    except PermissionDenied:
        raise Http404 from None
    else:
        messages.success(request, _("%(number)s unlinked.") % {"number": incident.number})
    return redirect(reverse("problems:detail", args=[problem.pk]) + "#incidents")


# --- known errors, candidates ------------------------------------------------------------------

@require_GET
@staff_required
def known_error_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:500]
    ci_raw = request.GET.get("ci", "")
    ci_id = int(ci_raw) if ci_raw.isdigit() and len(ci_raw) < 19 else None
    ci = ci_list(user=request.user).filter(pk=ci_id).first() if ci_id else None
    rows = list(known_error_search(user=request.user, q=q, ci_id=ci.pk if ci else None)
                .defer("search_vector")[:KNOWN_ERROR_PAGE])
    return render(request, "problems/known_errors.html", {"rows": rows, "q": q, "ci": ci,
                                                          "limit": KNOWN_ERROR_PAGE})


@require_GET
@staff_required
def candidate_list(request: HttpRequest) -> HttpResponse:
    return render(request, "problems/candidates.html", {
        "candidates": problem_candidates(user=request.user, now=timezone.now()),
        "can_open": _can(request.user, PROBLEM_OPEN),
    })


@require_POST
@staff_required
def candidate_open(request: HttpRequest) -> HttpResponse:
    """One click: open a problem from a candidate group's incidents."""
    if not _can(request.user, PROBLEM_OPEN):
        raise Http404
    now = timezone.now()
    incidents = candidate_incidents(user=request.user, key=request.POST.get("key", ""), now=now)
    if not incidents:
        messages.error(request, _("These incidents are no longer a candidate (linked meanwhile, or outside the window)."))
        return redirect("problems:candidates")
    first = incidents[0]
    subject = first.ci.name if first.ci else first.organization.name
    title = _("Repeated faults: %(subject)s (%(count)s incidents)") % {"subject": subject, "count": len(incidents)}
    same_cause = {i.cause_category for i in incidents}
    try:
        problem = problem_create(
            actor=request.user, organization=first.organization, title=title[:200], ci=first.ci,
            cause_category=same_cause.pop() if len(same_cause) == 1 else "",
            description="\n".join(f"{i.number} {i.title}" for i in incidents),
            incident_ids=[i.pk for i in incidents], now=now)
    except ValidationError as exc:
        _messages_from(request, exc)
        return redirect("problems:candidates")
    except PermissionDenied:
        raise Http404 from None
    messages.success(request, _("%(number)s opened from %(count)s incidents.")
                     % {"number": problem.number, "count": len(incidents)})
    return redirect("problems:detail", pk=problem.pk)


# --- panels (htmx fragments for lower apps' pages) --------------------------------------------

@require_GET
@staff_required
def incident_panel(request: HttpRequest, incident_pk: int) -> HttpResponse:
    """On the incident page: its problems with workaround, matching known errors, the repeat-fault
    hint, and the actions "open problem from this incident" / "link to problem"."""
    incident = incident_get(user=request.user, pk=incident_pk)
    linked = list(problems_of_incident(user=request.user, incident=incident))
    suggestions = known_error_suggestions(user=request.user, ci_id=incident.ci_id,
                                          text=f"{incident.title} {incident.description}",
                                          exclude=[p.pk for p in linked])
    can_link = _can(request.user, PROBLEM_OPEN)
    return render(request, "problems/partials/incident_panel.html", {
        "incident": incident, "linked": linked, "suggestions": suggestions,
        "candidate": incident_candidate(user=request.user, incident=incident, now=timezone.now()),
        "can_link": can_link,
        "open_problems": list(problems_open_for_link(user=request.user, organization_id=incident.organization_id,
                                                     exclude=[p.pk for p in linked])) if can_link else [],
    })


@require_POST
@staff_required
def incident_link(request: HttpRequest, incident_pk: int) -> HttpResponse:
    """From the incident panel: link this incident to a chosen open problem."""
    incident = incident_get(user=request.user, pk=incident_pk)
    back = reverse("incidents:detail", args=[incident.pk])
    problem_raw = request.POST.get("problem", "")
    if not problem_raw.isdigit():
        messages.error(request, _("Choose a problem."))
        return redirect(back)
    problem = problem_get(user=request.user, pk=problem_raw)
    try:
        problem_link_incidents(problem_id=problem.pk, actor=request.user, incident_ids=[incident.pk],
                               now=timezone.now())
    except ValidationError as exc:
        _messages_from(request, exc)
    except PermissionDenied:
        raise Http404 from None
    else:
        messages.success(request, _("Linked to %(number)s.") % {"number": problem.number})
    return redirect(back)


def _int_param(request: HttpRequest, name: str) -> int | None:
    raw = request.GET.get(name, "")
    return int(raw) if raw.isdigit() and len(raw) < 19 else None


@require_GET
@staff_required
def hotline_panel(request: HttpRequest) -> HttpResponse:
    """On the hotline form: known errors matching the CI or the words typed so far."""
    ci_id = _int_param(request, "ci")
    if ci_id is not None and not ci_list(user=request.user).filter(pk=ci_id).exists():
        ci_id = None
    text = f"{request.GET.get('title', '')} {request.GET.get('description', '')}"[:1000]
    suggestions = known_error_suggestions(user=request.user, ci_id=ci_id, text=text) if (ci_id or text.strip()) else []
    return render(request, "problems/partials/hotline_panel.html", {"suggestions": suggestions})
