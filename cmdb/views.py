"""Read-only CMDB pages of the operator UI."""

from __future__ import annotations

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.views import keyset_page, querystring_without, staff_required

from .choices import CIStatus
from .selectors import ci_get, ci_list


@require_GET
@staff_required
def ci_list_view(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    cis = ci_list(user=request.user)
    if q:
        cis = cis.filter(Q(name__icontains=q) | Q(serial__icontains=q) | Q(location__icontains=q)
                         | Q(organization__name__icontains=q))
    rows, cursor = keyset_page(cis, after=request.GET.get("after"), fields=("name", "id"), descending=False)
    return render(request, "cmdb/ci_list.html", {
        "cis": rows, "q": q, "next_cursor": cursor, "base_query": querystring_without(request, "after"),
    })


@require_GET
@staff_required
def ci_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ci = ci_get(user=request.user, pk=pk)
    # Open = neither resolved nor closed/cancelled (the stamps of OPEN_STATUSES; cmdb must not
    # import incidents, which sits above it).
    open_incidents = (
        ci.incidents.visible_to(request.user)
        .filter(resolved_at__isnull=True, closed_at__isnull=True)
        .select_related("assignee").order_by("-reported_at", "-id")[:50]
    )
    return render(request, "cmdb/ci_detail.html", {"ci": ci, "open_incidents": open_incidents})


@require_GET
@staff_required
def ci_options(request: HttpRequest) -> HttpResponse:
    """htmx fragment: <option>s of an organisation's CIs for the hotline form."""
    org = request.GET.get("organization", "")
    cis = ci_list(user=request.user).filter(organization_id=int(org)) if org.isdigit() else ci_list(
        user=request.user).none()
    return render(request, "cmdb/partials/ci_options.html", {
        "cis": cis.exclude(status=CIStatus.RETIRED).order_by("name", "id")[:500], "selected": request.GET.get("ci", ""),
    })
