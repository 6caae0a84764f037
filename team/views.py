"""Staff pages of the team app: leave requests (list, request with a hand-over plan, the kind's
detail page on the shared ticket pages, the company lead's decision), the monthly scorecards and
training sessions (views_kpi.py, views_training.py)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.views import staff_required
from tickets.approvals import approval_decide, approval_pending, is_pending_approver
from tickets.choices import ApprovalStepState
from tickets.forms import error_text
from tickets.views import TicketPages, timeline_decorate

from .choices import LeaveStatus
from .forms import DecisionForm, LeaveForm
from .selectors import leave_approvals, leave_get, leave_list, leave_pending_approvals, leave_timeline
from .services import leave_create, leave_transition, open_incidents_of
from .workflow import HIDDEN_ACTIONS, LEAVE_WORKFLOW


@require_GET
@staff_required
def leave_list_view(request: HttpRequest) -> HttpResponse:
    mine = request.GET.get("mine") == "1"
    qs = leave_list(user=request.user)
    if mine:
        qs = qs.filter(engineer=request.user)
    leaves = list(qs[:200])
    pending = leave_pending_approvals(ids=[lv.pk for lv in leaves])
    now = timezone.now()
    rows = [(lv, pending.get(lv.pk), bool(pending.get(lv.pk) and pending[lv.pk].due_at
                                           and pending[lv.pk].due_at < now)) for lv in leaves]
    return render(request, "team/leave_list.html", {"rows": rows, "mine": mine, "now": now})


@require_http_methods(["GET", "POST"])
@staff_required
def leave_new(request: HttpRequest) -> HttpResponse:
    engineer = request.user
    incidents = open_incidents_of(engineer)
    form = LeaveForm(request.POST or None, incidents=incidents, engineer=engineer)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        now = timezone.now()
        try:
            leave = leave_create(actor=request.user, engineer=engineer, organization=data["organization"],
                                 contact=data["contact"], starts_at=data["starts_at"], ends_at=data["ends_at"],
                                 stand_in=data["stand_in"], leave_type=data["leave_type"], reason=data["reason"],
                                 handover=form.handover(), duties=form.duty_lines(), now=now)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            try:
                leave_transition(leave_id=leave.pk, actor=request.user, action="submit", now=now)
            except ValidationError as exc:
                messages.error(request, _("Saved as a draft, not submitted: %(errors)s") % {"errors": error_text(exc)})
            else:
                messages.success(request, _("Leave requested: your lead decides first, then the customer."))
            return redirect("team:detail", leave.pk)
    return render(request, "team/leave_form.html", {"form": form},
                  status=400 if request.method == "POST" else 200)


def _detail(request: HttpRequest, leave: Any, *, status: int = 200, bound: Any = None,
            forms: dict[str, Any] | None = None) -> HttpResponse:
    timeline = timeline_decorate(leave_timeline(user=request.user, leave=leave), workflow=LEAVE_WORKFLOW,
                                 status_labels=dict(LeaveStatus.choices))
    approvals = leave_approvals(leave=leave)
    context: dict[str, Any] = {
        "ticket": leave, "leave": leave, "timeline": timeline, "approvals": approvals,
        "handover": list(leave.handover.select_related("incident", "to_user")),
        "can_decide": is_pending_approver(leave, request.user), "decision_form": DecisionForm(),
        "now": timezone.now(), **LEAVE_PAGES.timeline_context(),
        "transition_forms": LEAVE_PAGES.transition_forms(leave, request.user, bound=bound),
    }
    context.update(forms or {})
    return render(request, "team/leave_detail.html", context, status=status)


LEAVE_PAGES = TicketPages(namespace="team", get=leave_get, detail=_detail, workflow=LEAVE_WORKFLOW,
                          service=leave_transition, id_kwarg="leave_id", hidden_actions=HIDDEN_ACTIONS)


@require_POST
@staff_required
def leave_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """The company lead's decision on the pending approval step."""
    leave = leave_get(user=request.user, pk=pk)
    approval = approval_pending(ticket=leave)
    form = DecisionForm(request.POST)
    if approval is None or approval.state != ApprovalStepState.PENDING:
        raise Http404
    if not form.is_valid():
        return _detail(request, leave, status=400, forms={"decision_form": form})
    try:
        approval_decide(approval_id=approval.pk, actor=request.user, decision=form.cleaned_data["decision"],
                        comment=form.cleaned_data["comment"], now=timezone.now())
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        form.add_error(None, error_text(exc))
        return _detail(request, leave_get(user=request.user, pk=pk), status=400, forms={"decision_form": form})
    messages.success(request, _("Your decision is recorded."))
    return redirect("team:detail", leave.pk)
