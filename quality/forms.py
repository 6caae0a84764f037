from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from opsdesk.widgets import IsoDateInput

from .choices import CallbackOutcome, FigureSource
from .models import Questionnaire


class CallbackForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=CallbackOutcome.choices)
    satisfaction = forms.TypedChoiceField(label=_("Satisfaction"), required=False, coerce=int, empty_value=None,
                                          choices=[("", "–"), *[(i, str(i)) for i in range(5, 0, -1)]])
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    follow_up = forms.BooleanField(label=_("Unhappy: follow up"), required=False)


class RoundForm(forms.Form):
    questionnaire = forms.ModelChoiceField(label=_("Questionnaire"), queryset=Questionnaire.objects.none())
    organization = forms.ModelChoiceField(label=_("Organisation"), queryset=Organization.objects.none())
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    half = forms.TypedChoiceField(label=_("Half year"), coerce=int, choices=[(1, _("First half")),
                                                                            (2, _("Second half"))])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        q: Any = self.fields["questionnaire"]
        q.queryset = Questionnaire.objects.filter(is_active=True).order_by("title")
        o: Any = self.fields["organization"]
        o.queryset = Organization.objects.filter(is_active=True).order_by("name")


class FiguresForm(forms.Form):
    source = forms.ChoiceField(label=_("Source"), choices=FigureSource.choices, required=False)
    group_by = forms.MultipleChoiceField(
        label=_("Group by"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=[("organization", _("Organisation")), ("assignee", _("Engineer")), ("month", _("Month"))])
    date_from = forms.DateField(label=_("From"), required=False, widget=IsoDateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=IsoDateInput())


CDR_MAX_BYTES = 20 * 2**20


class CallImportForm(forms.Form):
    """Upload of a phone system's call-detail records (CDR CSV) for one organisation."""

    organization = forms.ModelChoiceField(label=_("Organisation"), queryset=Organization.objects.none())
    file = forms.FileField(label=_("Call records (CDR CSV)"),
                           help_text=_("The phone system's CSV export (Asterisk Master.csv or a CSV with a header "
                                       "row: call id, start, caller, dialled, disposition, duration, talk time); "
                                       "at most 20 MB. Importing the same file again changes nothing."))

    def __init__(self, *args: Any, organizations: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        o: Any = self.fields["organization"]
        o.queryset = organizations if organizations is not None else Organization.objects.filter(is_active=True)

    def clean_file(self):  # type: ignore[no-untyped-def]
        upload = self.cleaned_data["file"]
        if upload.size > CDR_MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than the limit of %(mb)s MB.")
                                        % {"mb": CDR_MAX_BYTES // 2**20})
        return upload


class ConnectRateForm(forms.Form):
    organization = forms.ModelChoiceField(label=_("Organisation"), queryset=Organization.objects.none(),
                                          required=False, empty_label=None)

    def __init__(self, *args: Any, organizations: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        o: Any = self.fields["organization"]
        o.queryset = organizations if organizations is not None else Organization.objects.filter(is_active=True)
