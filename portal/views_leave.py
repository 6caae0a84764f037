"""The customer's approval of an engineer's leave (plan 1.2.8): the leave requests waiting for the
customer, each with its hand-over plan, approved or rejected through the kernel's approval step
(tickets/approvals.py). The e-mailed signed link is the generic one (views_approvals.py)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from team.choices import LeaveStatus
from team.selectors import leave_approvals, leave_get, leave_waiting_for_customer
from tickets.approvals import approval_decide, approval_pending, is_pending_approver
from tickets.forms import error_text

from .views import customer_required
from .views_changes import DECISIONS


class LeaveDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=DECISIONS, widget=forms.HiddenInput)
    comment = forms.CharField(label=gettext_lazy("Comment"), required=False, max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 2}),
                              help_text=gettext_lazy("Required when you reject: say why."))


@require_GET
@customer_required
def leave_list(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    return render(request, "portal/leave/list.html", {
        "pending": [(lv, a, bool(a.due_at and a.due_at < now)) for lv, a in leave_waiting_for_customer(user=request.user)],
        "nav": "leave"})


def _page(request: HttpRequest, leave: Any, *, form: LeaveDecisionForm | None = None, status: int = 200) -> HttpResponse:
    approvals = [a for a in leave_approvals(leave=leave) if a.stage == "customer"]
    return render(request, "portal/leave/detail.html", {
        # Only the customer's own incidents (an engineer hands over other customers' work too).
        "leave": leave, "handover": list(leave.handover.select_related("incident", "to_user").filter(
            Q(incident__isnull=True) | Q(incident__organization_id=request.user.organization_id))),
        "approvals": approvals, "can_decide": is_pending_approver(leave, request.user),
        "form": form or LeaveDecisionForm(), "now": timezone.now(), "nav": "leave"}, status=status)


def _customer_leave(request: HttpRequest, pk: int) -> Any:
    leave = leave_get(user=request.user, pk=pk)
    # The customer sees a leave request once it is asked to approve it (and afterwards).
    if leave.status in (LeaveStatus.DRAFT, LeaveStatus.COMPANY_APPROVAL) or not any(
            a.stage == "customer" for a in leave_approvals(leave=leave)):
        raise Http404
    return leave


@require_GET
@customer_required
def leave_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, _customer_leave(request, pk))


@require_POST
@customer_required
def leave_decide(request: HttpRequest, pk: int) -> HttpResponse:
    leave = _customer_leave(request, pk)
    form = LeaveDecisionForm(request.POST)
    approval = approval_pending(ticket=leave, stage="customer")
    if not form.is_valid() or approval is None:
        return _page(request, leave, form=form, status=400)
    approve = form.cleaned_data["decision"] == "approve"
    try:
        approval_decide(approval_id=approval.pk, actor=request.user, decision="approve" if approve else "reject",
                        comment=form.cleaned_data["comment"], now=timezone.now())
    except ValidationError as exc:
        form.add_error(None, error_text(exc))
        return _page(request, leave, form=form, status=400)
    messages.success(request, (_("Thank you: you approved %(number)s.") if approve
                               else _("Thank you: you rejected %(number)s.")) % {"number": leave.number})
    return redirect("portal:leave_list")
