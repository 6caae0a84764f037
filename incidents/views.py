"""Operator pages for incidents: home, hotline, dispatcher queue, my work, list and detail.
Thin by design: forms shape input, services write, selectors read (DESIGN.md)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.choices import Role
from accounts.selectors import contact_find_by_phone, contact_list, organization_list
from accounts.views import filtered_page, querystring_without, staff_required
from cmdb.selectors import ci_list
from opsdesk.bulk import bulk_ids, safe_next
from opsdesk.widgets import preload_choices
from tickets.choices import CallOutcome, Channel
from tickets.forms import (
    TransitionForm,
    active_groups,
    engineer_picker_options,
    form_add_service_errors,
    group_picker_options,
)
from tickets.models import Comment, WorkLog
from tickets.services import call_record_create, request_create
from tickets.views import TicketPages, timeline_decorate

from .choices import LEVEL_MATRIX, CauseCategory, IncidentStatus
from .filtersets import IncidentFilterSet
from .followups import progress_update_allowed
from .forms import INCIDENT, FaultReportForm, HotlineForm, IncidentEditForm, MissedCallForm, ProgressForm, SpareLoanForm
from .observation import incident_call_link, observation_check_record, observation_checklist
from .selectors import (
    fault_report_get,
    incident_dispatch_queue,
    incident_get,
    incident_list,
    incident_my_work,
    incident_my_work_first_page,
    incident_page_get,
    incident_page_pickers,
    incident_possible_duplicates,
    incident_queue_rows,
    incident_sla_filter,
    incident_timeline,
    incident_work_page,
    incident_work_rows,
    progress_update_list,
    sla_unconfirmed_years,
    spare_loan_list,
)
from .services import (
    incident_bulk_assign,
    incident_bulk_comment,
    incident_create,
    incident_transition,
    incident_update,
)
from .sla import incident_sla_view
from .workflow import INCIDENT_WORKFLOW

QUEUE_SIZE = 50
MY_WORK_PAGE = 50  # the API's page (api/v1/incidents/mine/)
HOME_BY_ROLE = {
    Role.OPERATOR: "incidents:hotline",
    Role.DISPATCHER: "incidents:queue",
    Role.ENGINEER: "incidents:my_work",
    Role.ANALYST: "incidents:my_work",
    Role.SUPERVISOR: "quality:callbacks",
}


# --- Home ----------------------------------------------------------------------------------

@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send staff to their role's start page and customers to the portal."""
    user: Any = request.user
    if user.is_customer and not user.is_superuser:
        return redirect("portal:home")
    return redirect(HOME_BY_ROLE.get(user.role, "incidents:list"))


# --- Hotline -------------------------------------------------------------------------------

def _hotline_page(request: HttpRequest, form: HotlineForm, missed_form: MissedCallForm, *,
                  status: int = 200) -> HttpResponse:
    org = form["organization"].value()
    ci = form["ci"].value()
    return render(request, "incidents/hotline.html", {
        "form": form, "missed_form": missed_form, "level_matrix": {f"{i}|{u}": lvl for (i, u), lvl in
                                                                   LEVEL_MATRIX.items()},
        "duplicates": _duplicates(request, org, ci),
        "hotline_panels": [reverse(name) for name in settings.HOTLINE_PANELS],
    }, status=status)


def _duplicates(request: HttpRequest, org: Any, ci: Any) -> list[Any]:
    org_id = int(org) if str(org or "").isdigit() else None
    ci_id = int(ci) if str(ci or "").isdigit() else None
    if ci_id and org_id and not ci_list(user=request.user).filter(pk=ci_id, organization_id=org_id).exists():
        ci_id = None  # a CI left over from the previously chosen organisation
    return incident_possible_duplicates(user=request.user, organization_id=org_id, ci_id=ci_id)


@require_http_methods(["GET", "POST"])
@staff_required
def hotline(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _hotline_page(request, HotlineForm(user=request.user), MissedCallForm())
    form = HotlineForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(request, _("The call was not saved: please correct the marked fields."))
        return _hotline_page(request, form, MissedCallForm(), status=400)
    data = form.cleaned_data
    now = timezone.now()
    try:
        with transaction.atomic():
            if data["call_type"] == INCIDENT:
                ticket: Any = incident_create(
                    actor=request.user, organization=data["organization"], title=data["title"],
                    description=data["description"], impact=data["impact"], urgency=data["urgency"],
                    fault_level=data["fault_level"] or None, level_reason=data["level_reason"],
                    contact=data["contact"], ci=data["ci"], channel=Channel.PHONE, reported_at=now, now=now)
                target = reverse("incidents:detail", args=[ticket.pk])
            else:
                ticket = request_create(
                    actor=request.user, organization=data["organization"], title=data["title"],
                    description=data["description"], request_type=data["call_type"], contact=data["contact"],
                    channel=Channel.PHONE, reported_at=now, now=now)
                target = reverse("tickets:detail", args=[ticket.pk])
            call_record_create(operator=request.user, received_at=now, caller_phone=data["phone"],
                               outcome=CallOutcome.ANSWERED, contact=data["contact"],
                               organization=data["organization"], ticket=ticket, note="", now=now)
    except ValidationError as exc:
        form_add_service_errors(form, exc)
        messages.error(request, _("The call was not saved: please correct the marked fields."))
        return _hotline_page(request, form, MissedCallForm(), status=400)
    messages.success(request, _("%(number)s created.") % {"number": ticket.number})
    return redirect(target)


@require_GET
@staff_required
def hotline_caller(request: HttpRequest) -> HttpResponse:
    """htmx: the caller block (organisation, contact, CI) filled from the typed phone number."""
    params = request.GET.copy()
    note = ""
    phone = params.get("phone", "").strip()
    if sum(ch.isdigit() for ch in phone) >= 5:
        matches = list(contact_find_by_phone(user=request.user, phone=phone)[:5])
        orgs = {c.organization_id for c in matches}
        if len(orgs) == 1:
            params["organization"] = str(matches[0].organization_id)
            params["contact"] = str(matches[0].pk) if len(matches) == 1 else ""
            note = (_("Caller found: %(name)s, %(org)s.") % {"name": matches[0].name,
                                                             "org": matches[0].organization.name}
                    if len(matches) == 1 else _("Several contacts have this number: choose one."))
        elif len(orgs) > 1:
            note = _("This number belongs to contacts of several organisations: choose the organisation.")
        else:
            note = _("No contact with this number: choose the organisation.")
    form = HotlineForm(initial=_initial_from(params), user=request.user)
    response = render(request, "incidents/partials/hotline_caller.html", {"form": form, "lookup_note": note})
    response["HX-Trigger-After-Settle"] = "callerChanged"
    return response


def _initial_from(params: QueryDict) -> dict[str, Any]:
    return {name: params.get(name, "") for name in ("organization", "contact", "ci")}


@require_GET
@staff_required
def hotline_duplicates(request: HttpRequest) -> HttpResponse:
    """htmx: open incidents on the same CI, then of the same organisation."""
    return render(request, "incidents/partials/duplicates.html", {
        "duplicates": _duplicates(request, request.GET.get("organization"), request.GET.get("ci")),
    })


@require_POST
@staff_required
def hotline_link(request: HttpRequest, pk: int) -> HttpResponse:
    """The call is about an existing incident: record the call on it, create nothing new (and reopen
    it when it was resolved or under observation: a recurrence)."""
    incident = incident_get(user=request.user, pk=pk)
    phone = request.POST.get("phone", "").strip()
    contact_id = request.POST.get("contact", "")
    contact = contact_list(user=request.user).filter(pk=contact_id).first() if contact_id.isdigit() else None
    if contact is None and phone:
        contact = contact_find_by_phone(user=request.user, phone=phone).filter(
            organization_id=incident.organization_id).first()
    note = " — ".join(part for part in (request.POST.get("title", "").strip(),
                                        request.POST.get("description", "").strip()) if part)
    _call, reopened = incident_call_link(incident_id=incident.pk, operator=request.user, phone=phone,
                                         contact=contact, note=note, now=timezone.now())
    if reopened:
        messages.warning(request, _("Call linked to %(number)s: the fault recurred, so it was reopened.")
                         % {"number": incident.number})
    else:
        messages.success(request, _("Call linked to %(number)s.") % {"number": incident.number})
    return redirect("incidents:detail", pk=incident.pk)


@require_POST
@staff_required
def hotline_missed(request: HttpRequest) -> HttpResponse:
    form = MissedCallForm(request.POST)
    if form.is_valid():
        now = timezone.now()
        phone = form.cleaned_data["phone"]
        contact = contact_find_by_phone(user=request.user, phone=phone).first() if phone else None
        call_record_create(operator=request.user, received_at=now, caller_phone=phone, outcome=CallOutcome.MISSED,
                           contact=contact, note=form.cleaned_data["note"], now=now)
        messages.success(request, _("Missed call logged."))
        return redirect("incidents:hotline")
    return _hotline_page(request, HotlineForm(user=request.user), form, status=400)


# --- Queue, my work, list ------------------------------------------------------------------

SLA_FILTERS = ("breached", "at_risk")


def _sla_filtered(request: HttpRequest, qs: Any) -> tuple[Any, str]:
    """The work lists' `?sla=breached|at_risk` filter (the same one the API and the list page use)."""
    value = request.GET.get("sla", "")
    if value not in SLA_FILTERS:
        return qs, ""
    return incident_sla_filter(qs, value), value


@require_GET
@staff_required
def queue(request: HttpRequest) -> HttpResponse:
    if request.GET.get("sla", "") in SLA_FILTERS:
        incidents, sla_filter = _sla_filtered(request, incident_dispatch_queue(user=request.user))
        rows = list(incident_work_rows(incidents)[:QUEUE_SIZE])
    else:  # the usual view: a statement compiled once
        rows, sla_filter = incident_queue_rows(user=request.user, size=QUEUE_SIZE), ""
    return render(request, "incidents/queue.html", {
        "incidents": rows, "sla_filter": sla_filter,
        "group_options": group_picker_options(), "engineer_options": engineer_picker_options(),
        "can_assign": request.user.is_superuser or request.user.role in INCIDENT_WORKFLOW.by_action["assign"].roles,
        "now": timezone.now(),
    })


@require_GET
@staff_required
def my_work(request: HttpRequest) -> HttpResponse:
    """The engineer's open incidents, nearest deadline first, MY_WORK_PAGE at a time (keyset pages:
    the API's page size, issue 19) with a link to the next ones."""
    after = request.GET.get("after")
    if after or request.GET.get("sla", "") in SLA_FILTERS:
        incidents, sla_filter = _sla_filtered(request, incident_my_work(user=request.user))
        rows, cursor = incident_work_page(incident_work_rows(incidents), after=after, size=MY_WORK_PAGE)
    else:  # the first page, unfiltered: a statement compiled once
        (rows, cursor), sla_filter = incident_my_work_first_page(user=request.user, size=MY_WORK_PAGE), ""
    return render(request, "incidents/my_work.html", {
        "incidents": rows, "now": timezone.now(), "sla_filter": sla_filter, "next_cursor": cursor,
        "base_query": querystring_without(request, "after"),
    })


@require_GET
@staff_required
def incident_list_view(request: HttpRequest) -> HttpResponse:
    form, rows, cursor = filtered_page(request, filterset_class=IncidentFilterSet, select=incident_list)
    return render(request, "incidents/incident_list.html", {
        "incidents": rows, "filter_form": form, "next_cursor": cursor, "bulk": True,
        "bulk_groups": active_groups().only("id", "name"), "bulk_engineer_options": engineer_picker_options(),
        "organizations": organization_list(user=request.user).only("id", "name"),
        "selected_org": request.GET.get("organization", ""),
        "base_query": querystring_without(request, "after"), "now": timezone.now(),
    })


BULK_ACTIONS = {"assign": gettext_lazy("Assign"), "comment": gettext_lazy("Add comment")}


@require_POST
@staff_required
def incident_bulk(request: HttpRequest) -> HttpResponse:
    """Bulk assign or comment on the ticked incidents: each one through the same service as on its
    own page (the transition engine for "assign"), refused one by one with the reason."""
    back = safe_next(request) or reverse("incidents:list")
    action = request.POST.get("bulk_action", "")
    ids = bulk_ids(request.POST.getlist("ids"))
    if action not in BULK_ACTIONS:
        messages.error(request, _("Choose what to do with the ticked incidents."))
        return redirect(back)
    if not ids:
        messages.error(request, _("Tick at least one incident first."))
        return redirect(back)
    now = timezone.now()
    if action == "assign":
        assignee, group = request.POST.get("assignee", "").strip(), request.POST.get("group", "").strip()
        if not assignee and not group:
            messages.error(request, _("Choose an engineer, a support group, or both."))
            return redirect(back)
        outcomes = incident_bulk_assign(actor=request.user, ids=ids, assignee=assignee or None, group=group or None,
                                        now=now)
    else:
        body = request.POST.get("body", "").strip()
        if not body:
            messages.error(request, _("Write the comment first."))
            return redirect(back)
        outcomes = incident_bulk_comment(actor=request.user, ids=ids, body=body[:5000],
                                         public=request.POST.get("public") == "on", now=now)
    return render(request, "includes/bulk_result.html", {
        "action_label": BULK_ACTIONS[action], "outcomes": outcomes, "back_url": back, "back_fallback": "incidents:list",
    })


# --- Detail --------------------------------------------------------------------------------

SLA_STATE_LABELS = {
    "running": gettext_lazy("Running"), "paused": gettext_lazy("Paused"), "met": gettext_lazy("Met"), "warned": gettext_lazy("Warned"),
    "breached": gettext_lazy("Breached"),
}
TICKING = ("running", "warned", "breached")


def sla_detail_context(request: HttpRequest, incident: Any, *, now: Any) -> dict[str, Any]:
    """The SLA panel and the follow-up panels (progress updates, fault report, spare loans)."""
    targets = [{**t, "state_label": SLA_STATE_LABELS.get(t["state"], t["state"]), "ticking": t["state"] in TICKING
                and t.get("due_at") is not None} for t in incident_sla_view(incident=incident, now=now)]
    local = timezone.localtime
    years = {local(now).year, local(incident.reported_at).year}
    years |= {local(t["due_at"]).year for t in targets if t.get("due_at") is not None and t["state"] != "met"}
    progress_due = next((t["due_at"] for t in targets if t["target"] == "progress" and t["ticking"]), None)
    loaded = hasattr(incident, "page_report")  # read with the incident (incident_page_get)
    report = incident.page_report if loaded else fault_report_get(user=request.user, incident=incident)
    return {
        "sla_targets": targets,
        "sla_unconfirmed_years": sla_unconfirmed_years(incident=incident, years=years, now=now),
        "progress_updates": (incident.page_progress if loaded
                             else list(progress_update_list(user=request.user, incident=incident))),
        "progress_allowed": progress_update_allowed(incident),
        "progress_due": progress_due,
        "progress_form": ProgressForm(prefix="progress"),
        "fault_report": report,
        "report_form": FaultReportForm(initial=FaultReportForm.initial_for(report)),
        "loans": incident.page_loans if loaded else list(spare_loan_list(user=request.user, incident=incident)),
        "loan_form": SpareLoanForm(user=request.user, incident=incident),
    }


def _detail(request: HttpRequest, incident: Any, *, status: int = 200, bound: TransitionForm | None = None,
            forms: dict[str, Any] | None = None) -> HttpResponse:
    items = getattr(incident, "page_timeline", None)
    timeline = timeline_decorate(items if items is not None else incident_timeline(user=request.user, incident=incident),
                                 workflow=INCIDENT_WORKFLOW, status_labels=dict(IncidentStatus.choices))
    context: dict[str, Any] = {
        "ticket": incident, "incident": incident, "timeline": timeline,
        "transition_forms": INCIDENT_PAGES.transition_forms(incident, request.user, bound=bound),
        "edit_form": IncidentEditForm(initial=IncidentEditForm.initial_for(incident), user=request.user,
                                      incident=incident),
        **INCIDENT_PAGES.timeline_context(), "now": timezone.now(),
        "level_matrix": {f"{i}|{u}": lvl for (i, u), lvl in LEVEL_MATRIX.items()},
    }
    context.update(sla_detail_context(request, incident, now=context["now"]))
    # Panels contributed by higher apps (problems, changes, CMDB impact), loaded by htmx so this app
    # never imports them: settings.INCIDENT_PANELS lists URL names taking the incident's pk.
    context["incident_panels"] = [reverse(name, args=[incident.pk]) for name in settings.INCIDENT_PANELS]
    if incident.status in (IncidentStatus.OBSERVING, IncidentStatus.CLOSED) or incident.observation_until:
        checklist = getattr(incident, "page_observation", None)  # read with the incident (incident_page_get)
        context["observation"] = checklist if checklist is not None else observation_checklist(incident=incident)
        context["observation_outstanding"] = sum(1 for _item, check in context["observation"]
                                                 if check is None or check.result != "ok")
    context.update(forms or {})
    _preload_pickers(context, user=request.user, incident=incident)
    return render(request, "incidents/incident_detail.html", context, status=status)


# Which picker options (incident_page_pickers) each form field of the detail page shows.
PAGE_PICKERS = {"group": "group", "assignee": "engineer", "contact": "contact", "ci": "ci",
                "standby_ci": "standby", "faulty_ci": "ci"}


def _preload_pickers(context: dict[str, Any], *, user: Any, incident: Any) -> None:
    """Every picker of the page from one query, written without a template per option (issue 19)."""
    forms = [*context["transition_forms"], context.get("edit_form"), context.get("loan_form")]
    fields = [(form.fields[name], kind) for form in forms if form is not None
              for name, kind in PAGE_PICKERS.items() if name in form.fields]
    if not fields:
        return
    options = incident_page_pickers(user=user, organization_id=incident.organization_id)
    for field, kind in fields:
        preload_choices(field, options[kind])


# The shared ticket pages (transition, timeline add, attachment), parameterised by the incident kind.
INCIDENT_PAGES = TicketPages(namespace="incidents", get=incident_get, detail=_detail, workflow=INCIDENT_WORKFLOW,
                             service=incident_transition, id_kwarg="incident_id",
                             cause_choices=CauseCategory.choices, follow_next=True, get_page=incident_page_get)


@require_POST
@staff_required
def observation_check(request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
    incident = incident_get(user=request.user, pk=pk)
    try:
        observation_check_record(incident_id=incident.pk, item_id=item_id, actor=request.user,
                                 result=request.POST.get("result", ""), note=request.POST.get("note", ""),
                                 now=timezone.now())
    except ValidationError as exc:
        for msgs in exc.message_dict.values():
            for msg in msgs:
                messages.error(request, msg)
        return _detail(request, incident_get(user=request.user, pk=pk), status=400)
    messages.success(request, _("Check recorded."))
    return redirect(f"{reverse('incidents:detail', args=[incident.pk])}#observation")


@require_POST
@staff_required
def incident_edit(request: HttpRequest, pk: int) -> HttpResponse:
    def save(incident: Any, form: IncidentEditForm) -> None:
        incident_update(incident_id=incident.pk, actor=request.user, version=form.cleaned_data["version"],
                        changes=form.changes(), now=timezone.now())

    return INCIDENT_PAGES.edit(
        request, pk, form=lambda data, incident: IncidentEditForm(data, user=request.user, incident=incident),
        save=save, conflict_message=_(
            "Not saved: someone else changed this incident while you were editing. "
            "Your text is kept below; compare it with the current values and save again."))


# --- Work order (print view) ----------------------------------------------------------------

PRINT_LANGUAGES = {code for code, _name in settings.LANGUAGES}


@require_GET
@staff_required
def incident_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The incident as a work order (维修工单) for the customer's signature on site: one printable
    page (static/css/print.css), in the UI's language or `?language=zh-hans|en` (the customer's)."""
    incident = incident_get(user=request.user, pk=pk)
    language = request.GET.get("language", "")
    with translation.override(language if language in PRINT_LANGUAGES else translation.get_language()):
        items = incident_timeline(user=request.user, incident=incident)
        worklogs = [i for i in items if isinstance(i, WorkLog)]
        return render(request, "incidents/incident_print.html", {
            "incident": incident, "worklogs": worklogs, "minutes": sum(w.minutes for w in worklogs),
            "public_comments": [i for i in items if isinstance(i, Comment) and i.public],
            "printed_at": timezone.now(), "print_language": translation.get_language(),
        })
