"""The in-app inbox: the signed-in user's notifications, newest first or grouped by ticket,
filtered (unread, kind, fault level, ticket), with read marks one by one, chosen ones, all of a
ticket or all; and the person's own notification preferences."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.views import keyset_page, querystring_without
from opsdesk.bulk import safe_next

from .filtersets import InboxFilterSet
from .forms import PreferenceForm
from .models import Notification, NotificationPreference
from .selectors import notification_groups, notification_list, notification_unread_count
from .services import (
    notification_mark_all_read,
    notification_mark_read,
    notification_mark_read_many,
    preference_save,
)

GROUPS_PER_PAGE = 50


def _filter_params(request: HttpRequest) -> QueryDict:
    params = QueryDict(mutable=True)
    for key in ("unread", "event", "fault_level", "subject"):
        value = request.GET.get(key, "").strip()
        if value:
            params[key] = value
    return params


@require_GET
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    params = _filter_params(request)
    filterset = InboxFilterSet(params, queryset=notification_list(user=request.user))
    grouped = request.GET.get("view") == "ticket" and "subject" not in params
    groups: list[dict[str, object]] = []
    rows: list[Notification] = []
    next_cursor = None
    if not filterset.is_valid():
        messages.error(request, " ".join(m for ms in filterset.errors.values() for m in ms))
    elif grouped:
        qs = filterset.qs
        latest = qs.filter(subject=OuterRef("subject")).order_by("-created_at", "-id")
        groups = list(notification_groups(qs).annotate(
            title=Subquery(latest.values("title")[:1]), link=Subquery(latest.values("link")[:1]),
        )[:GROUPS_PER_PAGE])
    else:
        rows, next_cursor = keyset_page(filterset.qs, after=request.GET.get("after"), fields=("created_at", "id"))
    return render(request, "notifications/inbox.html", {
        "notifications": rows,
        "groups": groups,
        "grouped": grouped,
        "filter_form": filterset.form,
        "filters_query": params.urlencode(),
        "next_cursor": next_cursor,
        "base_query": querystring_without(request, "after"),
        "unread_count": notification_unread_count(user=request.user),
        "only_unread": params.get("unread") in ("true", "1", "True"),
        "subject": params.get("subject", ""),
    })


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    return redirect(safe_next(request) or fallback)


@require_POST
@login_required
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one read; open its link when asked to (`open=1`), else back to the inbox."""
    try:
        notification = notification_mark_read(user=request.user, notification_id=pk, now=timezone.now())
    except Notification.DoesNotExist:
        raise Http404
    if request.POST.get("open") == "1" and notification.link.startswith("/"):
        return redirect(notification.link)
    if getattr(request, "htmx", False):
        return render(request, "notifications/partials/item.html", {"n": notification})
    return _back(request, "notifications:inbox")


@require_POST
@login_required
def mark_all_read(request: HttpRequest) -> HttpResponse:
    """All unread read, or (with `subject`) all of one ticket's."""
    subject = request.POST.get("subject")
    count = notification_mark_all_read(user=request.user, now=timezone.now(),
                                       subject=subject[:40] if subject is not None else None)
    messages.success(request, _("%(count)d notifications marked as read.") % {"count": count})
    return _back(request, "notifications:inbox")


@require_POST
@login_required
def mark_selected_read(request: HttpRequest) -> HttpResponse:
    """Bulk: the ticked notifications, each marked on its own; the result lists done and refused."""
    ids = request.POST.getlist("ids")
    if not ids:
        messages.error(request, _("Tick at least one notification first."))
        return _back(request, "notifications:inbox")
    outcomes = notification_mark_read_many(user=request.user, ids=ids, now=timezone.now())
    return render(request, "includes/bulk_result.html", {
        "action_label": _("Mark as read"), "outcomes": outcomes,
        "back_url": safe_next(request), "back_fallback": "notifications:inbox",
    })


@require_http_methods(["GET", "POST"])
@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    instance = NotificationPreference.objects.filter(user_id=user.pk).first()
    form = PreferenceForm(request.POST or None, instance=instance or NotificationPreference(user=user))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                preference_save(user=request.user, data=form.preference_data())
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("Your notification preferences are saved."))
                return redirect("notifications:preferences")
        status = 400
    return render(request, "notifications/preferences.html", {"form": form}, status=status)
