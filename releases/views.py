"""Release pages (list, create, detail, edit, transitions, deployments, timeline) and the change
calendar (month, week, list; iCal feed). Thin: forms shape input, services write, selectors read."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.selectors import organization_list
from accounts.views import filtered_page, querystring_without, staff_required
from changes.selectors import change_get
from tickets.choices import EventAction
from tickets.forms import form_add_service_errors
from tickets.views import TicketPages, timeline_decorate

from .calendar import parse_anchor, parse_view, place, span_for
from .choices import DeploymentResult, Environment, ReleaseStatus
from .feeds import feed_token, feed_user
from .filtersets import ReleaseFilterSet
from .forms import CalendarFilterForm, DeploymentForm, ReleaseForm, ReleaseTransitionForm
from .ical import calendar_ics, feed_range
from .selectors import (
    calendar_entries,
    deployment_list,
    release_change_list,
    release_get,
    release_list,
    release_list_for_change,
    release_timeline,
    url_or_blank,
)
from .services import (
    calendar_feed_key_ensure,
    calendar_feed_key_rotate,
    deployment_record,
    release_create,
    release_transition,
    release_update,
)
from .workflow import RELEASE_WORKFLOW

# --- Releases ------------------------------------------------------------------------------


@require_GET
@staff_required
def release_list_view(request: HttpRequest) -> HttpResponse:
    form, rows, cursor = filtered_page(request, filterset_class=ReleaseFilterSet, select=release_list)
    return render(request, "releases/release_list.html", {
        "releases": rows, "filter_form": form, "next_cursor": cursor,
        "organizations": organization_list(user=request.user).only("id", "name"),
        "selected_org": request.GET.get("organization", ""), "base_query": querystring_without(request, "after"),
    })


@require_http_methods(["GET", "POST"])
@staff_required
def release_new(request: HttpRequest) -> HttpResponse:
    form = ReleaseForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        now = timezone.now()
        try:
            release = release_create(actor=request.user, organization=form.cleaned_data["organization"], now=now,
                                     **form.field_values())
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        except PermissionDenied:
            raise Http404 from None
        else:
            messages.success(request, _("%(number)s created. Add its changes next.") % {"number": release.number})
            return redirect(reverse("releases:detail", args=[release.pk]) + "#edit")
    return render(request, "releases/release_new.html", {"form": form},
                  status=400 if request.method == "POST" else 200)


def transition_forms(release: Any, user: Any, *, bound: ReleaseTransitionForm | None = None) -> list[Any]:
    forms = []
    for transition in RELEASE_WORKFLOW.allowed(release, user):
        if bound is not None and bound.transition.action == transition.action:
            forms.append(bound)
        else:
            forms.append(ReleaseTransitionForm(transition=transition, initial={"version": release.version}))
    return forms


def release_timeline_decorate(items: list[Any]) -> list[Any]:
    """The kernel's decoration, plus what a release's own events are about (the change linked or
    unlinked, where a deployment went and how it ended)."""
    items = timeline_decorate(items, workflow=RELEASE_WORKFLOW, status_labels=dict(ReleaseStatus.choices))
    environments, results = dict(Environment.choices), dict(DeploymentResult.choices)
    for item in items:
        if getattr(item, "kind", "") != "event":
            continue
        data = item.data or {}
        if item.action in (EventAction.LINKED, EventAction.UNLINKED) and data.get("number"):
            item.title = f"{item.title}: {data['number']}"
        elif item.action == EventAction.DEPLOYED:
            where = " · ".join(str(p) for p in (environments.get(data.get("environment"), ""), data.get("site"))
                               if p)
            item.title = f"{item.title}: {where} — {results.get(data.get('result'), '')}"
            item.reason = data.get("notes", "")
    return items


def _detail(request: HttpRequest, release: Any, *, status: int = 200, bound: ReleaseTransitionForm | None = None,
            forms: dict[str, Any] | None = None) -> HttpResponse:
    timeline = release_timeline_decorate(release_timeline(user=request.user, release=release))
    changes = list(release_change_list(user=request.user, release=release).prefetch_related("cis"))
    for change in changes:
        change.url = url_or_blank("changes:detail", change.pk)
    context: dict[str, Any] = {
        "ticket": release, "release": release, "timeline": timeline,
        "changes": changes,
        "deployments": list(deployment_list(user=request.user, release=release)),
        "transition_forms": transition_forms(release, request.user, bound=bound),
        "edit_form": ReleaseForm(initial=ReleaseForm.initial_for(release), user=request.user, release=release),
        "deployment_form": DeploymentForm(initial={"started_at": timezone.localtime().replace(second=0, microsecond=0),
                                                   "finished_at": timezone.localtime().replace(second=0,
                                                                                               microsecond=0)}),
        **RELEASE_PAGES.timeline_context(),
        "editable": release.status not in (ReleaseStatus.CLOSED, ReleaseStatus.CANCELLED),
        "can_deploy": release.status in (ReleaseStatus.DEPLOYING, ReleaseStatus.DEPLOYED, ReleaseStatus.ROLLED_BACK),
    }
    context.update(forms or {})
    return render(request, "releases/release_detail.html", context, status=status)


# The shared ticket pages (transition, timeline add, attachment), parameterised by the kind.
RELEASE_PAGES = TicketPages(namespace="releases", get=release_get, detail=_detail, workflow=RELEASE_WORKFLOW,
                            service=release_transition, id_kwarg="release_id", form_class=ReleaseTransitionForm)


@require_POST
@staff_required
def release_edit(request: HttpRequest, pk: int) -> HttpResponse:
    def save(release: Any, form: ReleaseForm) -> None:
        release_update(release_id=release.pk, actor=request.user, version=form.cleaned_data["version"],
                       fields=form.field_values(), change_list=form.cleaned_data["changes"], now=timezone.now())

    return RELEASE_PAGES.edit(
        request, pk, form=lambda data, release: ReleaseForm(data, user=request.user, release=release),
        save=save, conflict_message=_(
            "Not saved: someone else changed this release while you were editing. "
            "Your input is kept below; compare it with the current values and save again."))


@require_POST
@staff_required
def deployment_add(request: HttpRequest, pk: int) -> HttpResponse:
    release = release_get(user=request.user, pk=pk)
    form = DeploymentForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            deployment_record(release_id=release.pk, actor=request.user, environment=data["environment"],
                              site=data["site"], started_at=data["started_at"], finished_at=data["finished_at"],
                              result=data["result"], deployed_by=data["deployed_by"], notes=data["notes"],
                              now=timezone.now())
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Deployment recorded."))
            return redirect(reverse("releases:detail", args=[release.pk]) + "#deployments")
    return _detail(request, release, status=400, forms={"deployment_form": form, "deployment_open": True})


@require_GET
@staff_required
def change_panel(request: HttpRequest, change_pk: int) -> HttpResponse:
    """htmx fragment for a change's page: the releases that group it (the changes app sits below
    this one, so it loads this by URL name instead of importing it)."""
    change = change_get(user=request.user, pk=change_pk)
    return render(request, "releases/partials/change_panel.html", {
        "change": change, "releases": list(release_list_for_change(user=request.user, change_id=change.pk)),
    })


# --- The change calendar -------------------------------------------------------------------

def _calendar_filters(request: HttpRequest) -> tuple[CalendarFilterForm, int | None, int | None]:
    form = CalendarFilterForm(request.GET, user=request.user)
    if not form.is_valid():
        return CalendarFilterForm({}, user=request.user), None, None
    org, ci = form.cleaned_data.get("organization"), form.cleaned_data.get("ci")
    return form, (org.pk if org else None), (ci.pk if ci else None)


@require_GET
@staff_required
def calendar_view(request: HttpRequest) -> HttpResponse:
    zone = timezone.get_current_timezone()
    today = timezone.localdate()
    view = parse_view(request.GET.get("view"))
    span = span_for(view, parse_anchor(request.GET.get("date"), today=today), zone)
    form, org_id, ci_id = _calendar_filters(request)
    data = calendar_entries(user=request.user, start=span.start, end=span.end, days=span.days, zone=zone,
                            organization_id=org_id, ci_id=ci_id)
    cells = place(data.entries, span.days, zone)
    keep = {k: v for k, v in (("organization", org_id), ("ci", ci_id)) if v}

    def link(**params: Any) -> str:
        return "?" + urlencode({**keep, "view": view, **params})

    list_days = [(day, cells[day]) for day in span.days if cells[day]
                 and (view != "list" or day.month == span.anchor.month)]
    return render(request, "releases/calendar.html", {
        "span": span, "view": view, "today": today, "filter_form": form, "data": data,
        "weeks": [[(day, cells[day]) for day in week] for week in span.weeks],
        "list_days": list_days,
        "prev_url": link(date=span.prev.isoformat()), "next_url": link(date=span.next.isoformat()),
        "today_url": link(date=today.isoformat()),
        "view_urls": {v: "?" + urlencode({**keep, "view": v, "date": span.anchor.isoformat()})
                      for v in ("month", "week", "list")},
        "ics_url": reverse("releases:calendar_ics") + ("?" + urlencode(keep) if keep else ""),
        "selected_org": org_id,
    })


def _ics_response(request: HttpRequest, user: Any) -> HttpResponse:
    now = timezone.now()
    zone = timezone.get_current_timezone()
    start, end = feed_range(now)
    org = request.GET.get("organization", "")
    ci = request.GET.get("ci", "")
    org_id = int(org) if org.isdigit() and len(org) < 19 else None
    ci_id = int(ci) if ci.isdigit() and len(ci) < 19 else None
    data = calendar_entries(user=user, start=start, end=end, days=None, zone=zone, organization_id=org_id,
                            ci_id=ci_id)
    body = calendar_ics(data.entries, name=_("OpsDesk change calendar"), now=now)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="opsdesk-changes.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response


@require_GET
@login_required
def calendar_ics_view(request: HttpRequest) -> HttpResponse:
    """The feed for a logged-in user (staff: everything; customers: their organisation)."""
    return _ics_response(request, request.user)


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The feed for a calendar client, authenticated by the personal token in the URL only."""
    user = feed_user(token)
    if user is None:
        raise Http404
    return _ics_response(request, user)


@require_http_methods(["GET", "POST"])
@login_required
def calendar_subscribe(request: HttpRequest) -> HttpResponse:
    """The user's personal subscription URL; POST replaces it (old URLs stop working)."""
    now = timezone.now()
    if request.method == "POST":
        calendar_feed_key_rotate(user=request.user, now=now)
        messages.success(request, _("A new subscription address was made; the old one no longer works."))
        return redirect("releases:calendar_subscribe")
    key = calendar_feed_key_ensure(user=request.user, now=now)
    url = request.build_absolute_uri(reverse("releases:calendar_feed", args=[feed_token(key)]))
    return render(request, "releases/calendar_subscribe.html", {
        "feed_url": url, "webcal_url": "webcal://" + url.split("://", 1)[-1], "key": key,
    })
