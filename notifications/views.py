"""The in-app inbox page: the signed-in user's notifications, newest first, with read marks."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from accounts.views import keyset_page, querystring_without

from .models import Notification
from .selectors import notification_list, notification_unread_count
from .services import notification_mark_all_read, notification_mark_read


@require_GET
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    qs = notification_list(user=request.user)
    if request.GET.get("unread") == "1":
        qs = qs.filter(read_at__isnull=True)
    rows, next_cursor = keyset_page(qs, after=request.GET.get("after"), fields=("created_at", "id"))
    return render(request, "notifications/inbox.html", {
        "notifications": rows,
        "next_cursor": next_cursor,
        "base_query": querystring_without(request, "after"),
        "unread_count": notification_unread_count(user=request.user),
        "only_unread": request.GET.get("unread") == "1",
    })


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return redirect(target)
    return redirect(fallback)


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
    notification_mark_all_read(user=request.user, now=timezone.now())
    return _back(request, "notifications:inbox")
