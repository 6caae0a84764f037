"""The customer portal: every page a customer user sees, and the signed one-click links (rating,
questionnaire) that need no login. One place to audit what customers see (DESIGN.md rule 3):
every read starts from a selector's `visible_to(user)`, anything else is 404, and only public
timeline items are shown, with engineers' display names and nothing more."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from incidents.choices import IncidentStatus
from incidents.models import Incident
from incidents.selectors import incident_get, incident_list, progress_update_list
from incidents.services import incident_create, incident_transition
from incidents.workflow import INCIDENT_WORKFLOW
from opsdesk.errors import ConflictError, TransitionNotAllowed
from opsdesk.files import wants_inline
from quality.links import LinkInvalid
from quality.models import SatisfactionRating
from quality.selectors import (
    complaint_incident,
    rating_for_ticket,
    rating_invitation_from_token,
    survey_invitation_for_user,
    survey_invitation_from_token,
    survey_open_for_user,
)
from quality.services import (
    complaint_incident_link,
    rating_submit,
    rating_submit_by_link,
    survey_submit,
    survey_submit_by_link,
)
from tickets.choices import Channel, EventAction, RequestStatus, RequestType, TicketKind
from tickets.forms import error_text, form_add_service_errors
from tickets.models import ServiceRequest
from tickets.request_workflow import REQUEST_WORKFLOW
from tickets.selectors import request_get, request_list, ticket_timeline
from tickets.services import request_create, request_transition, ticket_attachment_add, ticket_comment_add
from tickets.views import attachment_response, timeline_decorate
from tickets.workflow import Workflow

from .forms import ActionForm, AttachmentForm, CommentForm, FaultForm, RatingForm, RequestForm, SurveyForm

View = Callable[..., HttpResponse]
LIST_SIZE = 30
DONE_INCIDENT = (IncidentStatus.CLOSED, IncidentStatus.CANCELLED)
DONE_REQUEST = (RequestStatus.CLOSED, RequestStatus.CANCELLED)
# What a customer may do on a ticket page, with the button text the portal shows.
INCIDENT_ACTIONS = {"observe": gettext_lazy("Confirm the fix"), "reopen": gettext_lazy("Not fixed: reopen")}
REQUEST_ACTIONS = {"close": gettext_lazy("Confirm and close"), "reopen": gettext_lazy("Not done: reopen"),
                   "resume": gettext_lazy("Continue"), "cancel": gettext_lazy("Withdraw")}


def customer_required(view: View) -> View:
    """Customer users only; for staff the portal does not exist (404, never 403)."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user: Any = request.user
        if not user.is_customer or user.is_superuser or not user.organization_id:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


def _rated(kind: str) -> Exists:
    return Exists(SatisfactionRating.objects.filter(ticket_kind=kind, ticket_id=OuterRef("pk")))


# --- home -----------------------------------------------------------------------------------

@require_GET
@customer_required
def home(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    incidents = incident_list(user=user).annotate(rated=_rated(TicketKind.INCIDENT)).order_by("-reported_at", "-id")
    requests = request_list(user=user).annotate(rated=_rated(TicketKind.REQUEST)).order_by("-reported_at", "-id")
    return render(request, "portal/home.html", {
        "open_incidents": incidents.exclude(status__in=DONE_INCIDENT)[:LIST_SIZE],
        "past_incidents": incidents.filter(status__in=DONE_INCIDENT)[:LIST_SIZE],
        "open_requests": requests.exclude(status__in=DONE_REQUEST)[:LIST_SIZE],
        "past_requests": requests.filter(status__in=DONE_REQUEST)[:LIST_SIZE],
        "surveys": survey_open_for_user(user=user, now=timezone.now())[:5],
        "nav": "home",
    })


# --- shared ticket-page plumbing -----------------------------------------------------------------

def _actions(workflow: Workflow, ticket: Any, user: Any, labels: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for transition in workflow.allowed(ticket, user):
        if transition.action in labels:
            out.append({"action": transition.action, "label": labels[transition.action],
                        "needs_reason": "reason" in transition.requires, "style": transition.style,
                        "form": ActionForm(initial={"action": transition.action, "version": ticket.version})})
    return out


def _rating_context(ticket: Any, closed: bool) -> dict[str, Any]:
    rating = rating_for_ticket(kind=ticket.KIND, ticket_id=ticket.pk) if closed else None
    return {"rating": rating, "rating_form": RatingForm() if closed and rating is None else None}


def _timeline(user: Any, ticket: Any, workflow: Workflow, labels: dict[str, str]) -> list[Any]:
    """Public items in time order; at the same instant the ticket's creation comes first (a fault
    reported with screenshots is created before its files are attached)."""
    items = timeline_decorate(ticket_timeline(user=user, ticket=ticket), workflow=workflow, status_labels=labels)
    return sorted(items, key=lambda item: (item.created_at, getattr(item, "action", "") != EventAction.CREATED))


def _add_to_timeline(request: HttpRequest, ticket: Any, what: str) -> bool:
    now = timezone.now()
    if what == "comment":
        form: Any = CommentForm(request.POST)
    elif what == "attachment":
        form = AttachmentForm(request.POST, request.FILES)
    else:
        raise Http404
    if not form.is_valid():
        messages.error(request, error_text(ValidationError(form.errors)))
        return False
    try:
        with transaction.atomic():
            if what == "comment":
                ticket_comment_add(ticket=ticket, author=request.user, body=form.cleaned_data["body"], public=True,
                                   now=now)
            else:
                for upload in form.cleaned_data["files"]:
                    ticket_attachment_add(ticket=ticket, author=request.user, upload=upload, public=True, now=now)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return False
    except PermissionDenied:
        raise Http404 from None
    messages.success(request, _("Comment added.") if what == "comment" else _("File attached."))
    return True


def _run_action(request: HttpRequest, *, ticket: Any, service: Callable[..., Any], id_kwarg: str,
                labels: dict[str, Any]) -> bool:
    form = ActionForm(request.POST)
    if not form.is_valid() or form.cleaned_data["action"] not in labels:
        raise Http404
    action = form.cleaned_data["action"]
    try:
        service(**{id_kwarg: ticket.pk}, actor=request.user, action=action, version=form.cleaned_data["version"],
                payload={"reason": form.cleaned_data["reason"]}, now=timezone.now())
    except TransitionNotAllowed:
        messages.error(request, _("This is no longer possible: the ticket has moved on. Please look again."))
        return False
    except ConflictError:
        messages.error(request, _("Someone changed this ticket meanwhile. Please look again and retry."))
        return False
    except ValidationError as exc:
        if "reason" in getattr(exc, "message_dict", {}):
            messages.error(request, _("Please give a reason."))
        else:
            messages.error(request, error_text(exc))
        return False
    except (Incident.DoesNotExist, ServiceRequest.DoesNotExist):
        raise Http404 from None
    messages.success(request, _("%(action)s: done.") % {"action": labels[action]})
    return True


# --- incidents ------------------------------------------------------------------------------

def _sla_rows(incident: Incident) -> list[dict[str, Any]]:
    """The targets with due times: the SLA engine's view when it has clocks, else the stored dues."""
    from incidents.sla import incident_sla_view

    rows = [r for r in incident_sla_view(incident=incident, now=timezone.now())
            if r["target"] in ("respond", "onsite", "restore", "resolve")]
    if rows:
        return rows
    stored = [("respond_due", _("Response"), incident.responded_at), ("onsite_due", _("On site"), incident.onsite_at),
              ("restore_due", _("Restore"), incident.restored_at), ("resolve_due", _("Resolve"), incident.resolved_at)]
    return [{"label": label, "due_at": getattr(incident, field), "met_at": met,
             "state": "met" if met else "running"} for field, label, met in stored if getattr(incident, field)]


@require_GET
@customer_required
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    incident = incident_get(user=user, pk=pk)
    context = {
        "ticket": incident, "kind": "incident", "sla_rows": _sla_rows(incident),
        "timeline": _timeline(user, incident, INCIDENT_WORKFLOW, dict(IncidentStatus.choices)),
        "progress": progress_update_list(user=user, incident=incident),
        "actions": _actions(INCIDENT_WORKFLOW, incident, user, INCIDENT_ACTIONS),
        "comment_form": CommentForm(), "attachment_form": AttachmentForm(),
        "is_open": incident.status not in DONE_INCIDENT, "nav": "home",
        **_rating_context(incident, incident.status == IncidentStatus.CLOSED),
    }
    return render(request, "portal/ticket_detail.html", context)


@require_POST
@customer_required
def incident_action(request: HttpRequest, pk: int) -> HttpResponse:
    incident = incident_get(user=request.user, pk=pk)
    _run_action(request, ticket=incident, service=incident_transition, id_kwarg="incident_id",
                labels=INCIDENT_ACTIONS)
    return redirect("portal:incident", pk=incident.pk)


@require_POST
@customer_required
def incident_add(request: HttpRequest, pk: int, what: str) -> HttpResponse:
    incident = incident_get(user=request.user, pk=pk)
    _add_to_timeline(request, incident, what)
    return redirect("portal:incident", pk=incident.pk)


@require_GET
@customer_required
def incident_attachment(request: HttpRequest, pk: int, attachment_id: int) -> FileResponse:
    incident = incident_get(user=request.user, pk=pk)
    return attachment_response(ticket=incident, user=request.user, attachment_id=attachment_id,
                               inline=wants_inline(request))


@require_http_methods(["GET", "POST"])
@customer_required
def report_fault(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if request.method != "POST":
        return render(request, "portal/report_fault.html", {"form": FaultForm(user=user), "nav": "fault"})
    form = FaultForm(request.POST, request.FILES, user=user)
    if form.is_valid():
        data = form.cleaned_data
        now = timezone.now()
        try:
            with transaction.atomic():
                incident = incident_create(
                    actor=user, organization=user.organization, title=data["title"],
                    description=data["description"], impact=data["impact"], urgency=data["urgency"],
                    contact=_own_contact(user), ci=data["ci"], channel=Channel.PORTAL, now=now)
                for upload in data["files"]:
                    ticket_attachment_add(ticket=incident, author=user, upload=upload, public=True, now=now)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Thank you. Your fault report %(number)s has been received.")
                             % {"number": incident.number})
            return redirect("portal:incident", pk=incident.pk)
    return render(request, "portal/report_fault.html", {"form": form, "nav": "fault"}, status=400)


def _own_contact(user: Any) -> Any:
    from accounts.models import Contact

    return Contact.objects.filter(user=user, organization_id=user.organization_id).first()


# --- service requests and complaints -------------------------------------------------------------

@require_http_methods(["GET", "POST"])
@customer_required
def request_new(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    kind = request.GET.get("type", "")
    nav = "complaint" if kind == RequestType.COMPLAINT else "request"
    if request.method != "POST":
        form = RequestForm(user=user, initial={
            "request_type": kind if kind in RequestType.values else RequestType.SERVICE_REQUEST,
            "incident": request.GET.get("incident") or None})
        return render(request, "portal/request_new.html", {"form": form, "nav": nav})
    form = RequestForm(request.POST, request.FILES, user=user)
    if form.is_valid():
        data = form.cleaned_data
        now = timezone.now()
        try:
            with transaction.atomic():
                req = request_create(actor=user, organization=user.organization, title=data["title"],
                                     description=data["description"], request_type=data["request_type"],
                                     contact=_own_contact(user), channel=Channel.PORTAL, now=now)
                if data.get("incident"):
                    complaint_incident_link(actor=user, complaint=req, incident_id=data["incident"].pk, now=now)
                for upload in data["files"]:
                    ticket_attachment_add(ticket=req, author=user, upload=upload, public=True, now=now)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Thank you. %(number)s has been received.") % {"number": req.number})
            return redirect("portal:request", pk=req.pk)
    return render(request, "portal/request_new.html", {"form": form, "nav": nav}, status=400)


@require_GET
@customer_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    req = request_get(user=user, pk=pk)
    return render(request, "portal/ticket_detail.html", {
        "ticket": req, "kind": "request", "about_incident": complaint_incident(user=user, complaint=req),
        "timeline": _timeline(user, req, REQUEST_WORKFLOW, dict(RequestStatus.choices)),
        "actions": _actions(REQUEST_WORKFLOW, req, user, REQUEST_ACTIONS),
        "comment_form": CommentForm(), "attachment_form": AttachmentForm(),
        "is_open": req.status not in DONE_REQUEST, "nav": "home",
        **_rating_context(req, req.status == RequestStatus.CLOSED),
    })


@require_POST
@customer_required
def request_action(request: HttpRequest, pk: int) -> HttpResponse:
    req = request_get(user=request.user, pk=pk)
    _run_action(request, ticket=req, service=request_transition, id_kwarg="request_id", labels=REQUEST_ACTIONS)
    return redirect("portal:request", pk=req.pk)


@require_POST
@customer_required
def request_add(request: HttpRequest, pk: int, what: str) -> HttpResponse:
    req = request_get(user=request.user, pk=pk)
    _add_to_timeline(request, req, what)
    return redirect("portal:request", pk=req.pk)


@require_GET
@customer_required
def request_attachment(request: HttpRequest, pk: int, attachment_id: int) -> FileResponse:
    req = request_get(user=request.user, pk=pk)
    return attachment_response(ticket=req, user=request.user, attachment_id=attachment_id,
                               inline=wants_inline(request))


# --- ratings and questionnaires in the portal ---------------------------------------------------

@require_POST
@customer_required
def rate(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    user: Any = request.user
    if kind == TicketKind.INCIDENT:
        ticket: Any = incident_get(user=user, pk=pk)
        target = "portal:incident"
    elif kind == TicketKind.REQUEST:
        ticket = request_get(user=user, pk=pk)
        target = "portal:request"
    else:
        raise Http404
    form = RatingForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose from 1 to 5 stars."))
        return redirect(target, pk=ticket.pk)
    try:
        rating_submit(user=user, ticket_kind=kind, ticket_id=ticket.pk, stars=form.cleaned_data["stars"],
                      comment=form.cleaned_data["comment"], now=timezone.now())
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    except PermissionDenied:
        messages.error(request, _("Only a closed ticket can be rated."))
    else:
        messages.success(request, _("Thank you for your rating!"))
    return redirect(target, pk=ticket.pk)


@require_GET
@customer_required
def surveys(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/surveys.html", {
        "invitations": survey_open_for_user(user=request.user, now=timezone.now()), "nav": "surveys"})


def _survey_questions(invitation: Any) -> list[Any]:
    return list(invitation.round.questionnaire.questions.order_by("position", "id"))


@require_http_methods(["GET", "POST"])
@customer_required
def survey_answer(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    invitation = survey_invitation_for_user(user=user, pk=pk, now=timezone.now())
    questions = _survey_questions(invitation)
    if request.method != "POST":
        form = SurveyForm(questions=questions)
        return render(request, "portal/survey_answer.html", {"invitation": invitation, "form": form,
                                                             "nav": "surveys"})
    form = SurveyForm(request.POST, questions=questions)
    if form.is_valid():
        try:
            survey_submit(invitation_id=invitation.pk, answers=form.cleaned_data, respondent=user,
                          now=timezone.now())
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        except LinkInvalid:
            raise Http404 from None
        else:
            messages.success(request, _("Thank you for your answers!"))
            return redirect("portal:home")
    return render(request, "portal/survey_answer.html", {"invitation": invitation, "form": form, "nav": "surveys"},
                  status=400)


# --- signed one-click links (no login) -----------------------------------------------------------

LINK_STATUS = {"invalid": 400, "expired": 410, "used": 410}


def _link_problem(request: HttpRequest, reason: str) -> HttpResponse:
    return render(request, "portal/link_invalid.html", {"reason": reason}, status=LINK_STATUS.get(reason, 400))


@never_cache
@require_http_methods(["GET", "POST"])
def link_rate(request: HttpRequest, token: str) -> HttpResponse:
    now = timezone.now()
    try:
        invitation = rating_invitation_from_token(token=token, now=now)
    except LinkInvalid as exc:
        return _link_problem(request, exc.reason)
    model: Any = Incident if invitation.ticket_kind == TicketKind.INCIDENT else ServiceRequest
    ticket = model.objects.filter(pk=invitation.ticket_id).only("number", "title").first()
    if ticket is None:
        return _link_problem(request, "invalid")
    initial = {"stars": request.GET["stars"]} if request.GET.get("stars") in {"1", "2", "3", "4", "5"} else None
    form = RatingForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            rating_submit_by_link(token=token, stars=form.cleaned_data["stars"],
                                  comment=form.cleaned_data["comment"], now=now)
        except LinkInvalid as exc:
            return _link_problem(request, exc.reason)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            return render(request, "portal/link_done.html", {"what": "rating"})
    return render(request, "portal/link_rate.html", {"ticket": ticket, "form": form},
                  status=400 if request.method == "POST" else 200)


@never_cache
@require_http_methods(["GET", "POST"])
def link_survey(request: HttpRequest, token: str) -> HttpResponse:
    now = timezone.now()
    try:
        invitation = survey_invitation_from_token(token=token, now=now)
    except LinkInvalid as exc:
        return _link_problem(request, exc.reason)
    questions = _survey_questions(invitation)
    form = SurveyForm(request.POST or None, questions=questions)
    if request.method == "POST" and form.is_valid():
        try:
            survey_submit_by_link(token=token, answers=form.cleaned_data, now=now)
        except LinkInvalid as exc:
            return _link_problem(request, exc.reason)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            return render(request, "portal/link_done.html", {"what": "survey"})
    return render(request, "portal/link_survey.html", {"invitation": invitation, "form": form},
                  status=400 if request.method == "POST" else 200)
