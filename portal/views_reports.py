"""Customer portal: the reports the service desk published for the customer's organisation
(monthly fault summaries and the rest), newest first, downloadable as PDF and Excel. Reads go
through reports.selectors.report_run_list, which shows a customer only their organisation's
published, finished runs; anything else is 404."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from rest_framework.exceptions import NotFound

from reports.api.views import run_file_response
from reports.registry import kind_get
from reports.selectors import report_run_get, report_run_latest, report_run_list
from reports.services import run_period_label

from .views import customer_required

PORTAL_REPORTS = 60


@customer_required
@require_GET
def reports(request: HttpRequest) -> HttpResponse:
    runs = list(report_run_latest(report_run_list(user=request.user))
                .order_by("-period_start", "-created_at", "-id")[:PORTAL_REPORTS])
    for run in runs:
        try:
            run.kind_title = str(kind_get(run.kind).title)  # type: ignore[attr-defined]
        except KeyError:
            run.kind_title = run.kind  # type: ignore[attr-defined]
        run.period_text = run_period_label(run)  # type: ignore[attr-defined]
    return render(request, "portal/reports/list.html", {"runs": runs, "nav": "reports"})


@customer_required
@require_GET
def report_file(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    if fmt not in ("pdf", "xlsx"):
        raise Http404
    run = report_run_get(user=request.user, pk=pk)
    try:
        return run_file_response(run, fmt=fmt)
    except NotFound:
        raise Http404 from None
