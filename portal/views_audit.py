"""The customer's daily audit anchors (tickets/anchors.py): the digests of their organisation's
ticket history, one per day, to keep and compare later. Only their own organisation's: another
organisation's anchor is 404 (the selector decides)."""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from tickets.anchors import audit_anchor_get, audit_anchor_list
from tickets.audit_export import SECTIONS, AuditExport, audit_export_build, export_csv, export_xlsx, visible_tickets
from tickets.models import AuditAnchor, TicketEvent

from .views import View, customer_required

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


# --- the auditor (监理): raw records and their export with the anchor (tickets/audit_export.py) ----

def auditor_required(view: View) -> View:
    """The organisation's auditor only; for anyone else these pages do not exist (404)."""

    @customer_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not getattr(request.user, "is_auditor", False):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


RECORDS_SHOWN = 50


@require_GET
@auditor_required
def audit_records(request: HttpRequest) -> HttpResponse:
    """The anchors to export from, and the newest events of the organisation's tickets (public in
    full, internal ones as links of the chain only)."""
    user: Any = request.user
    anchors = list(audit_anchor_list(user=user)[:SHOWN_DAYS])
    tickets = visible_tickets(user=user)
    events: list[Any] = []
    for kind, qs in tickets.items():
        events += list(TicketEvent.objects.filter(ticket_kind=kind, ticket_id__in=qs.values("pk"))
                       .select_related("actor").order_by("-created_at", "-pk")[:RECORDS_SHOWN])
    events.sort(key=lambda e: (e.created_at, e.pk), reverse=True)
    numbers: dict[tuple[str, int], str] = {}
    for kind, qs in tickets.items():
        ids = [e.ticket_id for e in events if e.ticket_kind == kind]
        numbers.update({(kind, pk): n for pk, n in qs.filter(pk__in=ids).values_list("pk", "number")})
    rows = [{"event": e, "number": numbers.get((e.ticket_kind, e.ticket_id), "")} for e in events[:RECORDS_SHOWN]]
    return render(request, "portal/audit/records.html", {
        "nav": "records", "anchors": anchors, "rows": rows, "sections": SECTIONS})


def _export(request: HttpRequest, pk: int) -> tuple[AuditAnchor, AuditExport]:
    anchor = audit_anchor_get(user=request.user, pk=pk)
    return anchor, audit_export_build(user=request.user, anchor=anchor)


def _filename(anchor: AuditAnchor, suffix: str) -> str:
    return f"audit-{anchor.organization.code}-{anchor.day.isoformat()}-{suffix}"


@require_GET
@auditor_required
def audit_export_csv(request: HttpRequest, pk: int, section: str) -> HttpResponse:
    if section not in SECTIONS:
        raise Http404
    anchor, export = _export(request, pk)
    response = HttpResponse(export_csv(export, section).encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=_filename(anchor, f"{section}.csv"))
    return response


@require_GET
@auditor_required
def audit_export_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    anchor, export = _export(request, pk)
    response = HttpResponse(export_xlsx(export),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=_filename(anchor, "records.xlsx"))
    return response
