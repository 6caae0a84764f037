"""Save the list view one is looking at under a name; take a saved one off the list."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.views import staff_required

from .models import LIST_PATHS, SavedFilter
from .services import saved_filter_create, saved_filter_remove


@require_POST
@staff_required
def save(request: HttpRequest) -> HttpResponse:
    path = request.POST.get("path", "")
    try:
        saved = saved_filter_create(user=request.user, name=request.POST.get("name", ""), path=path,
                                    query=request.POST.get("query", ""), now=timezone.now())
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms))
        return redirect(path if path in LIST_PATHS else "home")
    messages.success(request, _("Filter “%(name)s” saved.") % {"name": saved.name})
    return redirect(saved.url)


@require_POST
@staff_required
def remove(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        saved = saved_filter_remove(user=request.user, filter_id=pk)
    except SavedFilter.DoesNotExist:
        raise Http404 from None
    messages.success(request, _("Filter “%(name)s” removed.") % {"name": saved.name})
    return redirect(saved.path)
