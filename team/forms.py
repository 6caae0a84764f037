from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from accounts.models import Contact, Organization
from opsdesk.widgets import DATETIME_INPUT_FORMATS, IsoDateTimeLocalInput

from .choices import LeaveType


def _staff() -> Any:
    return get_user_model().objects.filter(is_active=True).exclude(role="customer").exclude(
        username="opsdesk-system").order_by("name", "username")


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


class LeaveForm(forms.Form):
    organization = forms.ModelChoiceField(label=_("Customer who approves"),
                                          queryset=Organization.objects.filter(is_active=True).order_by("name"))
    contact = forms.ModelChoiceField(label=_("Customer contact (approves by e-mailed link)"), required=False,
                                     queryset=Contact.objects.filter(is_active=True).order_by("name"))
    leave_type = forms.ChoiceField(label=_("Leave type"), choices=LeaveType.choices)
    starts_at = forms.DateTimeField(label=_("Leave from"), widget=IsoDateTimeLocalInput(),
                                    input_formats=DATETIME_INPUT_FORMATS)
    ends_at = forms.DateTimeField(label=_("Leave until"), widget=IsoDateTimeLocalInput(),
                                  input_formats=DATETIME_INPUT_FORMATS)
    stand_in = StaffChoiceField(label=_("Stand-in on the duty roster"), queryset=_staff())
    reason = forms.CharField(label=_("Reason"), required=False, max_length=5000,
                             widget=forms.Textarea(attrs={"rows": 2}))
    duties = forms.CharField(label=_("Other duties to hand over (one a line, e.g. inspection rounds)"),
                             required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))
    duties_to = StaffChoiceField(label=_("Colleague who takes these duties"), queryset=_staff(), required=False)

    def __init__(self, *args: Any, incidents: list[Any], engineer: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.incidents = incidents
        staff = _staff().exclude(pk=engineer.pk)
        self.fields["stand_in"].queryset = staff
        self.fields["duties_to"].queryset = staff
        for inc in incidents:
            # Left empty, a ticket goes to the stand-in: fourteen identical choices are a chore, not a plan.
            self.fields[f"incident_{inc.pk}"] = StaffChoiceField(
                label=f"{inc.number} {inc.title}", queryset=staff, required=False,
                empty_label=_("- The stand-in -"))

    def incident_fields(self) -> list[Any]:
        return [self[f"incident_{inc.pk}"] for inc in self.incidents]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("duties") or "").strip() and not data.get("duties_to"):
            self.add_error("duties_to", _("Say who takes these duties."))
        return data

    def handover(self) -> list[tuple[Any, Any]]:
        stand_in = self.cleaned_data["stand_in"]
        return [(inc, self.cleaned_data.get(f"incident_{inc.pk}") or stand_in) for inc in self.incidents]

    def duty_lines(self) -> list[tuple[str, Any]]:
        who = self.cleaned_data.get("duties_to")
        return [(line.strip(), who) for line in (self.cleaned_data.get("duties") or "").splitlines() if line.strip()]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    comment = forms.CharField(label=_("Comment"), required=False, max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 2}),
                              help_text=_("Required when you reject: say why."))
