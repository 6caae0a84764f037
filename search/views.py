"""The search results page behind the box in every page's top bar."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from .selectors import MAX_QUERY, global_search


@require_GET
@login_required
def results(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")[:MAX_QUERY]
    groups = global_search(user=request.user, q=q, now=timezone.now())
    template = "search/results_portal.html" if getattr(request.user, "is_customer", False) else "search/results.html"
    return render(request, template, {"q": q.strip(), "groups": groups})
