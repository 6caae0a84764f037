"""The signed single-use link of the kernel's approval step (tickets/approvals.py), for any ticket
kind: approve or reject without logging in."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from tickets.approvals import ApprovalLinkInvalid, approval_decide_by_link, approver_from_token
from tickets.forms import error_text
from tickets.transitions import kind_spec

from .views import _link_problem
from .views_changes import DECISIONS


class ApprovalLinkForm(forms.Form):
    decision = forms.ChoiceField(choices=DECISIONS, widget=forms.HiddenInput)
    name = forms.CharField(label=gettext_lazy("Your name"), required=False, max_length=150)
    comment = forms.CharField(label=gettext_lazy("Comment"), required=False, max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 2}),
                              help_text=gettext_lazy("Required when you reject: say why."))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "reject" and not (data.get("comment") or "").strip():
            self.add_error("comment", gettext_lazy("Say why you reject it."))
        return data


@never_cache
@require_http_methods(["GET", "POST"])
def link_approval(request: HttpRequest, token: str) -> HttpResponse:
    now = timezone.now()
    try:
        approver = approver_from_token(token=token)
    except ApprovalLinkInvalid as exc:
        return _link_problem(request, exc.reason)
    approval = approver.approval
    ticket = (kind_spec(approval.ticket_kind).model.objects.select_related("organization")
              .only("number", "title", "organization__name").filter(pk=approval.ticket_id).first())
    if ticket is None:
        return _link_problem(request, "invalid")
    form = ApprovalLinkForm(request.POST or None, initial={"name": approver.name})
    if request.method == "POST" and form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            approval_decide_by_link(token=token, decision="approve" if approve else "reject",
                                    comment=form.cleaned_data["comment"], name=form.cleaned_data["name"], now=now)
        except ApprovalLinkInvalid as exc:
            return _link_problem(request, exc.reason)
        except ValidationError as exc:
            form.add_error(None, error_text(exc))
        else:
            return render(request, "portal/approval_link_done.html", {"ticket": ticket, "approved": approve})
    return render(request, "portal/approval_link.html", {
        "ticket": ticket, "approval": approval, "form": form,
    }, status=400 if request.method == "POST" else 200)
