"""Service-request pages, plus the ticket-page plumbing incidents reuse: the timeline (comments,
work logs, attachments) and the transition forms drawn from a workflow table."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.views import filtered_page, querystring_without, staff_required
from opsdesk.errors import ConflictError, TransitionNotAllowed
from opsdesk.files import file_response, wants_inline

from .choices import EventAction, RequestStatus, SLATargetName
from .filtersets import ServiceRequestFilterSet
from .forms import (
    AttachmentForm,
    CommentForm,
    TransitionForm,
    WorkLogForm,
    active_groups,
    assignable_users,
    error_text,
    form_add_service_errors,
)
from .models import Attachment, Comment, TicketBase, TicketEvent, WorkLog
from .request_workflow import REQUEST_WORKFLOW
from .selectors import request_get, request_list, ticket_attachment_get, ticket_timeline
from .services import request_transition, ticket_attachment_add, ticket_comment_add, ticket_worklog_add
from .workflow import Workflow

TIMELINE_FORMS = {"comment": CommentForm, "worklog": WorkLogForm, "attachment": AttachmentForm}


# --- Shared ticket-page plumbing --------------------------------------------------------------

def transition_forms(workflow: Workflow, ticket: Any, user: Any, *, bound: TransitionForm | None = None,
                     cause_choices: Any = None) -> list[TransitionForm]:
    """Exactly the actions the workflow allows this user now, one small form each."""
    groups, engineers = active_groups(), assignable_users()
    forms = []
    for transition in workflow.allowed(ticket, user):
        if bound is not None and bound.transition.action == transition.action:
            forms.append(bound)
            continue
        forms.append(TransitionForm(
            transition=transition, cause_choices=cause_choices, groups=groups, engineers=engineers,
            initial={"version": ticket.version,
                     "group": ticket.group_id, "assignee": ticket.assignee_id},
        ))
    return forms


# Reason codes the system writes into events (the sweep, the observation period), as people read them.
REASON_LABELS = {
    "breach": pgettext_lazy("escalation reason", "the target was breached"),
    "still_breached": pgettext_lazy("escalation reason", "the target is still breached"),
    "recurrence": pgettext_lazy("reopen reason", "the fault recurred during observation"),
    "observation_ended": pgettext_lazy("close reason", "the observation period ended without recurrence"),
}
SLA_EVENTS = {EventAction.SLA_WARNING, EventAction.SLA_BREACH, EventAction.ESCALATED}


def _event_moment(value: Any) -> Any:
    """A datetime an event's data holds (ISO text in JSON) in the current time zone, or None."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return timezone.localtime(moment) if timezone.is_aware(moment) else moment


def _sla_detail(action: str, data: dict[str, Any]) -> str:
    """One line saying which target, which level and when it was due, in the reader's language."""
    target = data.get("target")
    parts: list[str] = []
    if target in SLATargetName.values:
        parts.append(_("Target: %(target)s") % {"target": SLATargetName(target).label})
    if action == EventAction.SLA_WARNING and data.get("pct"):
        parts.append(_("%(pct)s%% of the time used") % {"pct": data["pct"]})
    if action == EventAction.ESCALATED and data.get("level"):
        parts.append(_("level %(old)s → %(new)s") % {"old": data.get("from", 0), "new": data["level"]})
    due = _event_moment(data.get("due_at"))
    if due is not None:
        parts.append(_("due %(due)s") % {"due": date_format(due, "Y-m-d H:i")})
    return " · ".join(parts)


# Events whose content is shown by the item they record (the comment, work log or file itself).
SHOWN_BY_ITEM = {EventAction.COMMENT, EventAction.WORKLOG, EventAction.ATTACHMENT}


def timeline_decorate(items: list[Any], *, workflow: Workflow, status_labels: dict[str, str]) -> list[Any]:
    """Give each timeline item a `kind` and events a readable title and status change for the template."""
    items = [i for i in items if not (isinstance(i, TicketEvent) and i.action in SHOWN_BY_ITEM)]
    for item in items:
        if isinstance(item, TicketEvent):
            item.kind = "event"
            data = item.data or {}
            if item.action == EventAction.TRANSITION:
                transition = workflow.by_action.get(data.get("action", ""))
                item.title = str(transition.label) if transition else item.get_action_display()
            else:
                item.title = item.get_action_display()
            status = data.get("status")
            item.status_change = ([status_labels.get(s, s) for s in status]
                                  if isinstance(status, list) and len(status) == 2 else None)
            reason = data.get("reason", "")
            item.reason = REASON_LABELS.get(reason, reason) if isinstance(reason, str) else ""
            item.detail = _sla_detail(item.action, data) if item.action in SLA_EVENTS else ""
            if item.action == EventAction.LINKED and isinstance(data.get("number"), str):
                item.detail = data["number"]
            changes = data.get("changes") or {}
            item.changed_fields = ", ".join(sorted(changes)) if item.action == EventAction.UPDATED else ""
        elif isinstance(item, Comment):
            item.kind = "comment"
        elif isinstance(item, WorkLog):
            item.kind = "worklog"
        elif isinstance(item, Attachment):
            item.kind = "attachment"
    return items


def timeline_add(request: HttpRequest, ticket: TicketBase, what: str) -> tuple[bool, Any]:
    """Handle a comment / work-log / attachment POST. Returns (saved, form)."""
    form_class = TIMELINE_FORMS.get(what)
    if form_class is None:
        raise Http404
    form = form_class(request.POST, request.FILES)
    if not form.is_valid():
        return False, form
    now = timezone.now()
    data = form.cleaned_data
    try:
        if what == "comment":
            ticket_comment_add(ticket=ticket, author=request.user, body=data["body"], public=data["public"], now=now)
            messages.success(request, _("Comment added.") if data["public"] else _("Internal note added."))
        elif what == "worklog":
            ticket_worklog_add(ticket=ticket, author=request.user, minutes=data["minutes"], note=data["note"],
                               work_date=data["work_date"], now=now)
            messages.success(request, _("Work logged."))
        else:
            ticket_attachment_add(ticket=ticket, author=request.user, upload=data["file"], public=data["public"],
                                  now=now)
            messages.success(request, _("File attached."))
    except ValidationError as exc:
        form_add_service_errors(form, exc)
        return False, form
    except PermissionDenied:
        raise Http404 from None
    return True, form


def run_transition(request: HttpRequest, *, ticket: Any, workflow: Workflow, service: Callable[..., Any],
                   id_kwarg: str, cause_choices: Any = None, form_class: type[Any] = TransitionForm,
                   hidden_actions: Collection[str] = ()) -> tuple[int, Any]:
    """Validate the posted action's form and call the type's transition service. Returns the HTTP
    status for a re-render (200 = done) and the bound form to show again when it failed. Every ticket
    type's page posts here: `form_class` adds a type's own fields, `hidden_actions` are actions of the
    workflow that only other paths (API, services) may take."""
    action = request.POST.get("action", "")
    transition = workflow.by_action.get(action)
    if transition is None or action in hidden_actions:
        messages.error(request, _("Unknown action."))
        return 400, None
    extra = {"cause_choices": cause_choices} if cause_choices is not None else {}
    form = form_class(request.POST, transition=transition, **extra)
    if not form.is_valid():
        messages.error(request, _("Please correct the fields of “%(action)s”.") % {"action": transition.label})
        return 400, form
    try:
        service(**{id_kwarg: ticket.pk}, actor=request.user, action=action, version=form.cleaned_data["version"],
                payload=form.payload(), now=timezone.now())
    except TransitionNotAllowed as exc:
        messages.error(request, error_text(exc))
        return 400, form  # e.g. a blocked schedule: the reason typed for an override stays
    except ConflictError as exc:
        messages.error(request, exc.message)
        return 409, None
    except ValidationError as exc:
        form_add_service_errors(form, exc)
        messages.error(request, _("“%(action)s” was not done: %(errors)s")
                       % {"action": transition.label, "errors": error_text(exc)})
        return 400, form
    messages.success(request, _("%(action)s: done.") % {"action": transition.label})
    return 200, None


def attachment_response(*, ticket: TicketBase, user: Any, attachment_id: int, inline: bool = False) -> FileResponse:
    """Stream an attachment of a ticket the user can see; customers get public files only. With
    `inline`, images and PDFs are shown in the browser (opsdesk/files.py: sniffed type, sandboxed)."""
    attachment = ticket_attachment_get(user=user, ticket=ticket, pk=attachment_id)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return file_response(handle, filename=attachment.name, content_type=attachment.content_type, inline=inline)


DetailRenderer = Callable[..., HttpResponse]


@dataclass(frozen=True)
class TicketPages:
    """The pages every ticket kind shares, parameterised by the kind: the detail page, the
    transition form's POST, the timeline's add (comment, internal note, work log, attachment) and an attachment download,
    with their URL patterns. A kind supplies its selector (`get(user=, pk=)`, 404 when invisible),
    its detail renderer (`detail(request, ticket, *, status=, bound=, forms=)`, which re-renders a
    refused form), its workflow table and transition service; everything else here is the same for
    every kind. See docs/ticket-kinds.md."""

    namespace: str  # the kind's URL namespace: "<namespace>:detail", ":transition", ":timeline_add", …
    get: Callable[..., Any]
    detail: DetailRenderer
    workflow: Workflow
    service: Callable[..., Any]
    id_kwarg: str  # the service's id argument, e.g. "incident_id"
    form_class: type[Any] = TransitionForm
    cause_choices: Any = None
    hidden_actions: Collection[str] = ()
    timeline_anchor: str = "#timeline"  # where a saved timeline entry returns to on the detail page
    follow_next: bool = False  # a safe `next` field sends the user back where the action was taken
    after_transition: Callable[[HttpRequest, Any], None] | None = None  # e.g. warnings once it is done
    # The detail page's own read (`get_page(user=, pk=)`, 404 when invisible), when it loads more than
    # `get` in one go (e.g. incidents.selectors.incident_page_get); None: `get`.
    get_page: Callable[..., Any] | None = None

    def url_names(self) -> dict[str, str]:
        """The URL names the shared templates (timeline, timeline forms, transition forms) take."""
        return {"timeline_url": f"{self.namespace}:timeline_add", "attachment_url": f"{self.namespace}:attachment",
                "transition_url": f"{self.namespace}:transition"}

    def timeline_context(self) -> dict[str, Any]:
        """The empty timeline forms and URL names every detail page passes to the shared partials."""
        return {"comment_form": CommentForm(), "worklog_form": WorkLogForm(), "attachment_form": AttachmentForm(),
                **self.url_names()}

    def transition_forms(self, ticket: Any, user: Any, *, bound: TransitionForm | None = None) -> list[Any]:
        return transition_forms(self.workflow, ticket, user, bound=bound, cause_choices=self.cause_choices)

    def _detail_url(self, ticket: Any) -> str:
        return reverse(f"{self.namespace}:detail", args=[ticket.pk])

    def detail_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self.detail(request, (self.get_page or self.get)(user=request.user, pk=pk))

    def transition_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        ticket = self.get(user=request.user, pk=pk)
        try:
            status, bound = run_transition(request, ticket=ticket, workflow=self.workflow, service=self.service,
                                           id_kwarg=self.id_kwarg, cause_choices=self.cause_choices,
                                           form_class=self.form_class, hidden_actions=self.hidden_actions)
        except PermissionDenied:
            raise Http404 from None  # invisible is 404, never 403
        next_url = safe_next(request) if self.follow_next else None
        if next_url:
            return redirect(next_url)
        if status != 200:
            return self.detail(request, self.get(user=request.user, pk=pk), status=status, bound=bound)
        if self.after_transition is not None:
            self.after_transition(request, ticket)
        return redirect(self._detail_url(ticket))

    def timeline_add_view(self, request: HttpRequest, pk: int, what: str) -> HttpResponse:
        ticket = self.get(user=request.user, pk=pk)
        saved, form = timeline_add(request, ticket, what)
        if saved:
            return redirect(self._detail_url(ticket) + self.timeline_anchor)
        return self.detail(request, ticket, status=400, forms={f"{what}_form": form, "open_panel": what})

    def attachment_view(self, request: HttpRequest, pk: int, attachment_id: int) -> FileResponse:
        ticket = self.get(user=request.user, pk=pk)
        return attachment_response(ticket=ticket, user=request.user, attachment_id=attachment_id,
                                   inline=wants_inline(request))

    def edit(self, request: HttpRequest, pk: int, *, form: Callable[[Any, Any], Any],
             save: Callable[[Any, Any], Any], conflict_message: str) -> HttpResponse:
        """The shared POST of a detail page's edit form: `form(data, ticket)` builds the kind's form,
        `save(ticket, form)` calls its update service. A refused form or service error re-renders the
        page (400, the errors on their fields); a stale version (409) keeps what was typed and carries
        the current version, so a second save is deliberate; PermissionDenied is 404."""
        ticket = self.get(user=request.user, pk=pk)
        bound = form(request.POST, ticket)
        if not bound.is_valid():
            return self.detail(request, ticket, status=400, forms={"edit_form": bound, "edit_open": True})
        try:
            save(ticket, bound)
        except ConflictError as exc:
            current = self.get(user=request.user, pk=pk)
            data = request.POST.copy()
            data[bound.add_prefix("version")] = str(exc.current_version)
            retry = form(data, current)
            retry.is_valid()
            retry.add_error(None, exc.message)
            messages.error(request, conflict_message)
            return self.detail(request, current, status=409, forms={
                "edit_form": retry, "edit_open": True, "conflict_current": current})
        except ValidationError as exc:
            form_add_service_errors(bound, exc)
            return self.detail(request, ticket, status=400, forms={"edit_form": bound, "edit_open": True})
        except PermissionDenied:
            raise Http404 from None
        messages.success(request, _("Changes saved."))
        return redirect(self._detail_url(ticket))

    def urlpatterns(self, prefix: str = "<int:pk>/") -> list[URLPattern]:
        """The detail page (`prefix`) and the three shared URLs under it, with the shared names;
        staff only."""
        return [
            path(prefix, require_GET(staff_required(self.detail_view)), name="detail"),
            path(f"{prefix}transition/", require_POST(staff_required(self.transition_view)), name="transition"),
            path(f"{prefix}add/<str:what>/", require_POST(staff_required(self.timeline_add_view)), name="timeline_add"),
            path(f"{prefix}attachments/<int:attachment_id>/", require_GET(staff_required(self.attachment_view)),
                 name="attachment"),
        ]


def safe_next(request: HttpRequest) -> str | None:
    """The POSTed `next` URL when it stays on this site (else None)."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return None


# --- Service requests -------------------------------------------------------------------------

@require_GET
@staff_required
def request_list_view(request: HttpRequest) -> HttpResponse:
    form, rows, cursor = filtered_page(request, filterset_class=ServiceRequestFilterSet, select=request_list)
    return render(request, "tickets/request_list.html", {
        "requests": rows, "form": form, "next_cursor": cursor, "base_query": querystring_without(request, "after"),
    })


def _request_detail(request: HttpRequest, req: Any, *, status: int = 200, bound: TransitionForm | None = None,
                    forms: dict[str, Any] | None = None) -> HttpResponse:
    timeline = timeline_decorate(ticket_timeline(user=request.user, ticket=req), workflow=REQUEST_WORKFLOW,
                                 status_labels=dict(RequestStatus.choices))
    context = {
        "ticket": req, "timeline": timeline,
        "transition_forms": REQUEST_PAGES.transition_forms(req, request.user, bound=bound),
        **REQUEST_PAGES.timeline_context(),
    }
    context.update(forms or {})
    return render(request, "tickets/request_detail.html", context, status=status)


REQUEST_PAGES = TicketPages(namespace="tickets", get=request_get, detail=_request_detail, workflow=REQUEST_WORKFLOW,
                            service=request_transition, id_kwarg="request_id", timeline_anchor="")

