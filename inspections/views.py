"""Staff pages of the inspections app: the round list and work list, the round's detail page (the
kernel's shared ticket pages), the phone flow (static JS, offline; answers go to the API), the
store count form, the record sheet PDF, completion and findings, the plan list, the per-group iCal
feed and the service worker. Customers get 404 everywhere here."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import SupportGroup
from accounts.selectors import organization_list
from accounts.views import staff_required
from releases.feeds import feed_token, feed_user
from releases.ical import calendar_ics, feed_range
from releases.services import calendar_feed_key_ensure
from spares.models import Stock
from tickets.choices import EventAction
from tickets.forms import error_text
from tickets.views import TicketPages, timeline_decorate

from .calendar import round_entries
from .choices import OPEN_ROUND_STATUSES, ItemKind, RoundStatus
from .pdf import sheet_pdf
from .selectors import (
    inspection_stats,
    plan_list,
    round_answers,
    round_get,
    round_items,
    round_list,
    round_progress,
    round_store_counts,
    round_targets,
    rounds_open_for,
)
from .services import may_manage_plans, round_transition, store_count_record
from .workflow import ROUND_WORK, ROUND_WORKFLOW

PAGE = 200
SW_FILE = Path(settings.BASE_DIR) / "static" / "inspections" / "sw.js"


def _month_bounds(text: str | None, today: date) -> tuple[date, date]:
    try:
        year, month = (int(p) for p in (text or "").split("-")[:2])
        first = date(year, month, 1)
    except (ValueError, TypeError):
        first = today.replace(day=1)
    if not 2000 <= first.year <= 2100:
        first = today.replace(day=1)
    nxt = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, nxt - timedelta(days=1)


@require_GET
@staff_required
def round_list_view(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    status = request.GET.get("status", "open")
    rows = round_list(user=request.user)
    if status == "open":
        rows = rows.filter(status__in=OPEN_ROUND_STATUSES)
    elif status in RoundStatus.values:
        rows = rows.filter(status=status)
    org = request.GET.get("organization", "")
    if org.isdigit() and len(org) < 19:
        rows = rows.filter(organization_id=int(org))
    return render(request, "inspections/round_list.html", {
        "mine": list(rounds_open_for(user=request.user, now=now)[:50]),
        "rounds": list(rows.order_by("due_at", "id")[:PAGE]), "now": now, "status": status,
        "statuses": RoundStatus.choices, "organizations": organization_list(user=request.user).only("id", "name"),
        "selected_org": org, "feeds": _group_feeds(request, now=now),
    })


def _group_feeds(request: HttpRequest, *, now: Any) -> list[tuple[Any, str]]:
    """The user's groups' iCal URLs, signed with the user's change-calendar feed key (rotating that
    key on the change calendar's subscribe page revokes these too)."""
    user: Any = request.user
    groups = SupportGroup.objects.filter(is_active=True)
    if not user.is_superuser and user.role not in ("manager", "supervisor"):
        groups = groups.filter(members=user) | groups.filter(lead=user)
    groups = groups.distinct().order_by("name")
    if not groups:
        return []
    token = feed_token(calendar_feed_key_ensure(user=user, now=now))
    return [(g, request.build_absolute_uri(reverse("inspections:group_feed", args=[g.pk, token]))) for g in groups]


def _detail(request: HttpRequest, ticket: Any, *, status: int = 200, bound: Any = None,
            forms: dict[str, Any] | None = None) -> HttpResponse:
    from tickets.selectors import ticket_timeline

    timeline = timeline_decorate(ticket_timeline(user=request.user, ticket=ticket), workflow=ROUND_WORKFLOW,
                                 status_labels={k: str(v) for k, v in RoundStatus.choices})
    for entry in timeline:  # name the incident a finding opened or joined
        data = getattr(entry, "data", None) or {}
        if getattr(entry, "kind", "") == "event" and entry.action == EventAction.LINKED and data.get("number"):
            entry.title = f"{entry.title}: {data['number']}"
    targets = round_targets(ticket=ticket)
    items = round_items(ticket=ticket)
    answers = round_answers(ticket=ticket)
    by_key = {(a.target_id, a.item_id): a for a in answers}
    rows = [{"target": t, "answers": [by_key.get((t.pk, i.pk)) for i in items]} for t in targets]
    store = ticket.plan.template.scope == "store"
    stock = []
    if store and ticket.plan.storeroom_id:
        counted = {c.part_id for c in round_store_counts(ticket=ticket)}
        stock = [s for s in Stock.objects.filter(storeroom_id=ticket.plan.storeroom_id).select_related("part")
                 .order_by("part__part_number") if s.part_id not in counted]
    context: dict[str, Any] = {
        "ticket": ticket, "round": ticket, "timeline": timeline, "items": items, "rows": rows,
        "progress": round_progress(ticket=ticket), "now": timezone.now(), "store": store,
        "counts": round_store_counts(ticket=ticket) if store else [], "stock": stock,
        "findings": [a for a in answers if a.finding],
        "can_work": bool(request.user.is_superuser or getattr(request.user, "role", None) in ROUND_WORK),
        "transition_forms": PAGES.transition_forms(ticket, request.user, bound=bound),
        **PAGES.timeline_context(),
    }
    context.update(forms or {})
    return render(request, "inspections/round_detail.html", context, status=status)


PAGES = TicketPages(namespace="inspections", get=round_get, detail=_detail, workflow=ROUND_WORKFLOW,
                    service=round_transition, id_kwarg="round_id")


def _num(value: Any) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def store_payload(ticket: Any) -> dict[str, Any]:
    """A store check on the phone: the storeroom's parts (booked figures stay on the server: the
    counter counts blind), the counts already recorded, and where a count is sent."""
    counts = round_store_counts(ticket=ticket)
    parts = (Stock.objects.filter(storeroom_id=ticket.plan.storeroom_id).select_related("part")
             .order_by("part__part_number"))
    return {
        "id": ticket.pk, "number": ticket.number, "title": ticket.title, "status": ticket.status, "mode": "store",
        "count_url": reverse("inspections:count", args=[ticket.pk]), "answer_url": "", "items": [], "answered": [],
        "cis": [], "parts": [{"id": s.part_id, "name": s.part.name, "part_number": s.part.part_number} for s in parts],
        "counted": [{"part": c.part_id, "uuid": str(c.uuid or ""), "counted": c.counted} for c in counts],
    }


def round_payload(ticket: Any) -> dict[str, Any]:
    """What the phone needs to work offline: the round, its CIs and its checklist."""
    if ticket.plan.template.scope != "ci":
        return store_payload(ticket)
    items = round_items(ticket=ticket)
    return {
        "id": ticket.pk, "number": ticket.number, "title": ticket.title, "status": ticket.status,
        "due_at": timezone.localtime(ticket.due_at).strftime("%Y-%m-%d %H:%M"),
        "answer_url": reverse("inspections-api:answers", args=[ticket.pk]),
        "cis": [{"id": t.ci_id, "name": t.ci.name, "location": t.ci.location, "site": t.ci.site,
                 "serial": t.ci.serial, "asset_tag": t.ci.asset_tag, "class": t.ci.ci_class.name}
                for t in round_targets(ticket=ticket)],
        "items": [{"id": i.pk, "text": i.label, "kind": i.kind, "unit": i.unit,
                   "min": _num(i.min_value), "max": _num(i.max_value),
                   "options": i.option_pairs(), "findings": i.finding_options or [],
                   "photo": i.photo_required} for i in items],
        "answered": [{"ci": a.target.ci_id, "item": a.item_id, "uuid": str(a.uuid), "passed": a.passed,
                      "reading": _num(a.reading), "choice": a.choice,
                      "text": a.text, "note": a.note, "finding": a.finding, "photo": bool(a.photo)}
                     for a in round_answers(ticket=ticket)],
    }


@require_GET
@staff_required
def round_do_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The phone flow: CI by CI, item by item; kept in the browser and sent when online."""
    ticket = round_get(user=request.user, pk=pk)
    if ticket.plan.template.scope != "ci" and not ticket.plan.storeroom_id:
        return redirect("inspections:detail", pk=ticket.pk)
    return render(request, "inspections/round_do.html", {
        "round": ticket, "payload": round_payload(ticket), "kinds": ItemKind})


@require_POST
@staff_required
def store_count_view(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = round_get(user=request.user, pk=pk)
    user: Any = request.user
    if not (user.is_superuser or user.role in ROUND_WORK):
        raise Http404  # the page offers no count form to other roles
    part = request.POST.get("part", "")
    wants_json = "application/json" in request.headers.get("Accept", "")
    try:
        count = store_count_record(round_id=ticket.pk, actor=request.user,
                                   part_id=int(part) if part.isdigit() and len(part) < 19 else 0,
                                   counted=request.POST.get("counted", ""), now=timezone.now(),
                                   client_uuid=request.POST.get("uuid") or None)
    except ValidationError as exc:
        if wants_json:  # the phone's offline queue: field errors, kept on the phone
            return JsonResponse(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages},
                                status=400)
        messages.error(request, error_text(exc))
    except PermissionDenied:
        if wants_json:
            return JsonResponse({"detail": [_("Your role does not record store counts.")]}, status=403)
        messages.error(request, _("Your role does not record store counts."))
    else:
        if wants_json:
            return JsonResponse({"uuid": str(count.uuid or ""), "part": count.part_id, "booked": count.booked,
                                 "counted": count.counted, "difference": count.difference,
                                 "movement": count.movement_id},
                                status=200 if getattr(count, "replayed", False) else 201)
        if count.movement_id:
            messages.success(request, _("Counted. The difference of %(n)s was posted for approval.")
                             % {"n": count.difference})
        else:
            messages.success(request, _("Counted: matches the books."))
    return redirect(reverse("inspections:detail", args=[ticket.pk]) + "#store")


@require_GET
@staff_required
def round_sheet_view(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = round_get(user=request.user, pk=pk)
    pdf = sheet_pdf(ticket=ticket, language=request.LANGUAGE_CODE)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{ticket.number}.pdf"'
    return response


@require_GET
@staff_required
def stats_view(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    first, last = _month_bounds(request.GET.get("month"), today)
    months = max(1, min(12, int(request.GET["months"]) if request.GET.get("months", "").isdigit() else 1))
    start = date(first.year - (1 if first.month - months < 0 else 0), (first.month - months) % 12 + 1, 1) \
        if months > 1 else first
    rows = inspection_stats(user=request.user, start=start, end=last)
    return render(request, "inspections/stats.html", {
        "rows": rows, "month": first.strftime("%Y-%m"), "months": months,
        "totals": {k: sum(r[k] for r in rows) for k in ("rounds", "done", "overdue", "findings")},
    })


@require_GET
@staff_required
def plan_list_view(request: HttpRequest) -> HttpResponse:
    return render(request, "inspections/plan_list.html", {
        "plans": list(plan_list(user=request.user)), "can_manage": may_manage_plans(request.user)})


@require_GET
def group_feed(request: HttpRequest, group_id: int, token: str) -> HttpResponse:
    """Upcoming rounds of one support group as iCalendar, for a calendar client: the URL carries the
    user's signed feed token (the change calendar's, releases/feeds.py)."""
    user = feed_user(token)
    if user is None or not user.is_staff_member:
        raise Http404
    group = SupportGroup.objects.filter(pk=group_id).first()
    if group is None:
        raise Http404
    now = timezone.now()
    start, end = feed_range(now)
    body = calendar_ics(round_entries(user=user, start=start, end=end, group_id=group.pk),
                        name=_("Inspection rounds: %(group)s") % {"group": group.name}, now=now)
    return HttpResponse(body, content_type="text/calendar; charset=utf-8")


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The phone flow's service worker, served under /inspections/ so its scope covers the round pages."""
    response = HttpResponse(SW_FILE.read_text(encoding="utf-8"), content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/inspections/"
    response["Cache-Control"] = "no-cache"
    return response

