"""The customer's daily audit anchors (tickets/anchors.py): the digests of their organisation's
ticket history, one per day, to keep and compare later. Only their own organisation's: another
organisation's anchor is 404 (the selector decides)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from tickets.anchors import audit_anchor_get, audit_anchor_list

from .views import customer_required

SHOWN_DAYS = 92  # about a quarter; older anchors are in the monthly reports and the API


@require_GET
@customer_required
def audit_anchors(request: HttpRequest) -> HttpResponse:
    anchors = list(audit_anchor_list(user=request.user)[:SHOWN_DAYS])
    return render(request, "portal/audit/list.html", {"nav": "audit", "anchors": anchors, "shown_days": SHOWN_DAYS})


@require_GET
@customer_required
def audit_anchor(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "portal/audit/detail.html", {
        "nav": "audit", "anchor": audit_anchor_get(user=request.user, pk=pk)})
