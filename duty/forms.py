from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization, SupportGroup
from opsdesk.widgets import DATETIME_INPUT_FORMATS, IsoDateTimeLocalInput

from .choices import DutyRole, RuleKind


class SwapForm(forms.Form):
    group = forms.ModelChoiceField(label=_("Support group"), queryset=SupportGroup.objects.filter(is_active=True))
    with_user = forms.ModelChoiceField(label=_("Colleague who takes over"),
                                       queryset=get_user_model().objects.filter(is_active=True).exclude(role="customer"))
    role = forms.ChoiceField(label=_("Duty role"), choices=DutyRole.choices, initial=DutyRole.PRIMARY)
    starts_at = forms.DateTimeField(label=_("From"), widget=IsoDateTimeLocalInput(), input_formats=DATETIME_INPUT_FORMATS)
    ends_at = forms.DateTimeField(label=_("Until"), widget=IsoDateTimeLocalInput(), input_formats=DATETIME_INPUT_FORMATS)
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class StaffMultipleField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


class EntryForm(forms.Form):
    """A roster manager books extra duty: an override, major-event duty, or a customer's special support."""

    kind = forms.ChoiceField(label=_("Kind"), choices=[(k.value, k.label) for k in (
        RuleKind.SPECIAL, RuleKind.EVENT, RuleKind.OVERRIDE)])
    group = forms.ModelChoiceField(label=_("Support group"), queryset=SupportGroup.objects.filter(is_active=True))
    role = forms.ChoiceField(label=_("Duty role"), choices=DutyRole.choices, initial=DutyRole.PRIMARY)
    people = StaffMultipleField(label=_("People"), queryset=get_user_model().objects.filter(
        is_active=True).exclude(role="customer").exclude(username="opsdesk-system").order_by("name"))
    organization = forms.ModelChoiceField(label=_("Customer (special support)"), required=False,
                                          queryset=Organization.objects.filter(is_active=True).order_by("name"))
    starts_at = forms.DateTimeField(label=_("From"), widget=IsoDateTimeLocalInput(), input_formats=DATETIME_INPUT_FORMATS)
    ends_at = forms.DateTimeField(label=_("Until"), widget=IsoDateTimeLocalInput(), input_formats=DATETIME_INPUT_FORMATS)
    reason = forms.CharField(label=_("Meeting, event or reason"), required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))


class SupportRequestForm(forms.Form):
    """The customer's request for special support at a meeting or event."""

    title = forms.CharField(label=_("Meeting or event"), max_length=200)
    place = forms.CharField(label=_("Place"), max_length=200)
    starts_at = forms.DateTimeField(label=_("From"), widget=IsoDateTimeLocalInput(), input_formats=DATETIME_INPUT_FORMATS)
    ends_at = forms.DateTimeField(label=_("Until"), widget=IsoDateTimeLocalInput(), input_formats=DATETIME_INPUT_FORMATS)
    needs = forms.CharField(label=_("What is needed"), required=False, max_length=4000,
                            widget=forms.Textarea(attrs={"rows": 3}))


class SupportAcceptForm(forms.Form):
    group = forms.ModelChoiceField(label=_("Support group"), queryset=SupportGroup.objects.filter(is_active=True))
    role = forms.ChoiceField(label=_("Duty role"), choices=DutyRole.choices, initial=DutyRole.PRIMARY)
    people = StaffMultipleField(label=_("People"), queryset=get_user_model().objects.filter(
        is_active=True).exclude(role__in=["customer", "auditor"]).exclude(username="opsdesk-system").order_by("name"))
    note = forms.CharField(label=_("Note to the customer"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class SupportDeclineForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
