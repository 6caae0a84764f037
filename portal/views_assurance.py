"""The customer's read-only view of the assurance records the contract promises (shared/seed 1.1(2),
1.2.2.7): its emergency plans and when each was last reviewed and drilled, the drills of the last year and
the coming months, and its backup jobs with the last successful backup and the last restore test. Its
own organisation only (assurance's `visible_to`); nothing here is editable; internal fields (job tokens,
storage locations, responsible groups, escalation stamps) are not shown."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from assurance.selectors import customer_assurance

from .views import customer_required


@require_GET
@customer_required
def assurance(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/assurance.html", {"nav": "assurance",
                                                     **customer_assurance(user=request.user, now=timezone.now())})
