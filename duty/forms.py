from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from accounts.models import SupportGroup
from opsdesk.widgets import DATETIME_INPUT_FORMATS, IsoDateTimeLocalInput

from .choices import DutyRole


class SwapForm(forms.Form):
    group = forms.ModelChoiceField(label=_("Support group"), queryset=SupportGroup.objects.filter(is_active=True))
    with_user = forms.ModelChoiceField(label=_("Colleague who takes over"),
                                       queryset=get_user_model().objects.filter(is_active=True).exclude(role="customer"))
    role = forms.ChoiceField(label=_("Duty role"), choices=DutyRole.choices, initial=DutyRole.PRIMARY)
    starts_at = forms.DateTimeField(label=_("From"), widget=IsoDateTimeLocalInput(), input_formats=DATETIME_INPUT_FORMATS)
    ends_at = forms.DateTimeField(label=_("Until"), widget=IsoDateTimeLocalInput(), input_formats=DATETIME_INPUT_FORMATS)
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
