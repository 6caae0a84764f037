"""The customer's change approvals (R-CHG: any change to configuration or data is confirmed by
the customer before it is carried out): the organisation's changes awaiting its answer, a change's
page (what, why, when, risk, back-out plan) with approve/reject, the history of answers, and the
signed single-use link that needs no login. Reads start from the changes selectors (visible_to)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from changes.choices import ApprovalChannel, ChangeStatus
from changes.links import LinkInvalid
from changes.risk import risk_answer_labels
from changes.selectors import (
    change_approvals,
    change_get,
    customer_approvals_decided,
    customer_approvals_pending,
)
from changes.services import change_transition, customer_approval_by_link, customer_approval_from_token
from changes.workflow import CHANGE_WORKFLOW
from opsdesk.errors import ConflictError, TransitionNotAllowed
from tickets.forms import error_text

from .views import _link_problem, _timeline, customer_required

DECISIONS = [("approve", gettext_lazy("Approve")), ("reject", gettext_lazy("Reject"))]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=DECISIONS, widget=forms.HiddenInput)
    comment = forms.CharField(label=gettext_lazy("Comment"), required=False, max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 2}),
                              help_text=gettext_lazy("Required when you reject: say why, or when would suit you."))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "reject" and not (data.get("comment") or "").strip():
            self.add_error("comment", _("Say why you reject the change."))
        return data


class LinkDecisionForm(DecisionForm):
    name = forms.CharField(label=gettext_lazy("Your name"), required=False, max_length=150)


@require_GET
@customer_required
def change_approvals_view(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/changes/approvals.html", {
        "pending": list(customer_approvals_pending(user=request.user)[:100]),
        "decided": customer_approvals_decided(user=request.user, limit=50),
        "nav": "changes",
    })


def _change_page(request: HttpRequest, change: Any, *, form: DecisionForm | None = None,
                 status: int = 200) -> HttpResponse:
    can_decide = CHANGE_WORKFLOW.by_action["approve"].permits(change, request.user)
    return render(request, "portal/changes/detail.html", {
        "change": change, "cis": list(change.cis.order_by("name")),
        "risk_rows": risk_answer_labels(change.risk_answers or {}),
        "approvals": list(change_approvals(user=request.user, change=change)),
        "timeline": _timeline(request.user, change, CHANGE_WORKFLOW, dict(ChangeStatus.choices)),
        "can_decide": can_decide, "form": form or DecisionForm(initial={"version": change.version}),
        "nav": "changes",
    }, status=status)


@require_GET
@customer_required
def change_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _change_page(request, change_get(user=request.user, pk=pk))


@require_POST
@customer_required
def change_decide(request: HttpRequest, pk: int) -> HttpResponse:
    change = change_get(user=request.user, pk=pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _change_page(request, change, form=form, status=400)
    decision = form.cleaned_data["decision"]
    comment = form.cleaned_data["comment"].strip()
    try:
        change_transition(change_id=change.pk, actor=request.user, action=decision,
                          version=form.cleaned_data["version"], now=timezone.now(), channel=ApprovalChannel.PORTAL,
                          payload={"comment": comment, "reason": comment})
    except (TransitionNotAllowed, ConflictError) as exc:
        messages.error(request, exc.message if isinstance(exc, ConflictError) else error_text(exc))
        return redirect("portal:change", pk=change.pk)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return _change_page(request, change_get(user=request.user, pk=pk), form=form, status=400)
    done = (_("Thank you: you approved %(number)s.") if decision == "approve"
            else _("Thank you: you rejected %(number)s."))
    messages.success(request, done % {"number": change.number})
    return redirect("portal:changes")


@never_cache
@require_http_methods(["GET", "POST"])
def link_change_approval(request: HttpRequest, token: str) -> HttpResponse:
    """The e-mailed single-use link: approve or reject without logging in."""
    now = timezone.now()
    try:
        approval = customer_approval_from_token(token=token, now=now)
    except LinkInvalid as exc:
        return _link_problem(request, exc.reason)
    change = approval.change
    initial = {"name": change.contact.name if change.contact else ""}
    form = LinkDecisionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            customer_approval_by_link(token=token, approve=form.cleaned_data["decision"] == "approve",
                                      comment=form.cleaned_data["comment"], name=form.cleaned_data["name"], now=now)
        except LinkInvalid as exc:
            return _link_problem(request, exc.reason)
        except ValidationError as exc:
            form.add_error(None, error_text(exc))
        else:
            return render(request, "portal/changes/link_done.html", {
                "change": change, "approved": form.cleaned_data["decision"] == "approve"})
    return render(request, "portal/changes/link.html", {
        "change": change, "cis": list(change.cis.order_by("name")), "form": form, "approval": approval,
    }, status=400 if request.method == "POST" else 200)
