"""Forms of the reports pages: ask for a report, edit a monthly schedule. Thin: the services validate."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization

from .models import ReportSchedule
from .registry import kind_list


def kind_choices() -> list[tuple[str, str]]:
    return [(k.code, str(k.title)) for k in sorted(kind_list(), key=lambda k: str(k.title))]


class ReportRequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("Report"), choices=())
    period = forms.CharField(label=_("Period"), max_length=20, required=False,
                             help_text=_("2026-10 (month), 2026-Q3 (quarter), 2026-10-15 (day), 2026 (year)."))
    organization = forms.ModelChoiceField(label=_("Organisation"), queryset=Organization.objects.none(),
                                          required=False, empty_label=_("All organisations"))
    incident = forms.CharField(label=_("Incident number"), max_length=30, required=False,
                               help_text=_("For reports about one incident, e.g. INC-000123."))
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    summary = forms.CharField(label=_("System operation this month (optional)"), required=False,
                              widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
    recommendations = forms.CharField(label=_("Recommendations (optional)"), required=False,
                                      widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)

    def __init__(self, *args: Any, organizations: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kind_choices()  # type: ignore[attr-defined]
        self.fields["organization"].queryset = organizations if organizations is not None else Organization.objects.all()  # type: ignore[attr-defined]

    def options(self) -> dict[str, str]:
        out = {}
        for name in ("summary", "recommendations"):
            value = (self.cleaned_data.get(name) or "").strip()
            if value:
                out[name] = value
        return out


class ScheduleForm(forms.ModelForm):  # type: ignore[type-arg]
    kinds = forms.MultipleChoiceField(label=_("Reports in the pack"), choices=(), widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = ReportSchedule
        fields = ["name", "organization", "kinds", "recipients", "language", "publish", "is_active"]
        widgets = {"recipients": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, kind_codes: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        titles = dict(kind_choices())
        self.fields["kinds"].choices = [(c, titles.get(c, c)) for c in (kind_codes or [])]  # type: ignore[attr-defined]
        self.fields["organization"].empty_label = _("All organisations")  # type: ignore[attr-defined]
