"""Forms of the staff pages (the services validate again; their errors land on these fields)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import SupportGroup
from accounts.selectors import organization_list
from cmdb.selectors import ci_list
from opsdesk.widgets import DATETIME_INPUT_FORMATS, IsoDateInput, IsoDateTimeLocalInput

from .choices import BackupMethod, RunOutcome
from .models import EmergencyPlan


def _lines(value: str) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


class PlanForm(forms.Form):
    organization: forms.ModelChoiceField[Any] = forms.ModelChoiceField(label=_("Organisation"), queryset=None)  # type: ignore[arg-type]
    name = forms.CharField(label=_("Name"), max_length=200)
    cis: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(  # type: ignore[arg-type]
        label=_("Configuration items"), queryset=None, required=False,
        help_text=_("The core system's CIs (of the plan's organisation)."))
    scenario = forms.CharField(label=_("Scenario"), widget=forms.Textarea(attrs={"rows": 3}), max_length=8000)
    steps = forms.CharField(label=_("Steps"), widget=forms.Textarea(attrs={"rows": 6}), required=False,
                            help_text=_("One step per line, in order."), max_length=20000)
    contacts = forms.CharField(label=_("Contacts"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
                               max_length=8000)
    rto_minutes = forms.IntegerField(label=_("Recovery time objective (minutes)"), min_value=1, max_value=60 * 24 * 30)
    review_interval_months = forms.IntegerField(label=_("Review every (months)"), min_value=1, max_value=60, initial=12)
    last_reviewed_on = forms.DateField(label=_("Last reviewed on"), required=False, widget=IsoDateInput())
    group = forms.ModelChoiceField(label=_("Responsible group"), queryset=SupportGroup.objects.filter(is_active=True),
                                   required=False)

    def __init__(self, *args: Any, user: Any, organization_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organization_list(user=user).order_by("name")  # type: ignore[attr-defined]
        cis = ci_list(user=user).order_by("name", "pk")
        if organization_id:
            cis = cis.filter(organization_id=organization_id)
        self.fields["cis"].queryset = cis  # type: ignore[attr-defined]

    def clean_steps(self) -> list[str]:
        return _lines(self.cleaned_data.get("steps", ""))

    @staticmethod
    def initial_of(plan: EmergencyPlan) -> dict[str, Any]:
        return {"organization": plan.organization_id, "name": plan.name, "cis": list(plan.cis.values_list("pk", flat=True)),
                "scenario": plan.scenario, "steps": "\n".join(plan.step_list), "contacts": plan.contacts,
                "rto_minutes": plan.rto_minutes, "review_interval_months": plan.review_interval_months,
                "last_reviewed_on": plan.last_reviewed_on, "group": plan.group_id}


class ReviewForm(forms.Form):
    reviewed_on = forms.DateField(label=_("Reviewed on"), widget=IsoDateInput())
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=8000)


class DrillForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200, required=False,
                            help_text=_("Empty: the plan's name."))
    scheduled_start = forms.DateTimeField(label=_("Starts"), widget=IsoDateTimeLocalInput(),
                                          input_formats=DATETIME_INPUT_FORMATS)
    scheduled_end = forms.DateTimeField(label=_("Ends"), widget=IsoDateTimeLocalInput(),
                                        input_formats=DATETIME_INPUT_FORMATS)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("scheduled_start"), data.get("scheduled_end")
        if start and end and end < start:
            self.add_error("scheduled_end", _("The end must not be before the start."))
        return data


class DrillRecordForm(forms.Form):
    participants = forms.CharField(label=_("Participants"), widget=forms.Textarea(attrs={"rows": 2}), max_length=8000)
    recovery_minutes = forms.IntegerField(label=_("Actual time to recover (minutes)"), min_value=0, max_value=10**6,
                                          required=False)
    summary = forms.CharField(label=_("Summary"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
                              max_length=8000)
    findings = forms.CharField(label=_("Findings"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
                               help_text=_("One finding per line; each can open a problem afterwards."),
                               max_length=20000)

    def __init__(self, *args: Any, steps: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.step_names: list[tuple[str, str]] = []
        for i, text in enumerate(steps):
            self.fields[f"step_{i}_done"] = forms.BooleanField(label=f"{i + 1}. {text}", required=False)
            self.fields[f"step_{i}_notes"] = forms.CharField(label=_("Notes on step %(n)s") % {"n": i + 1},
                                                             required=False, max_length=2000)
            self.step_names.append((f"step_{i}_done", f"step_{i}_notes"))

    def step_fields(self) -> list[tuple[Any, Any]]:
        return [(self[done], self[notes]) for done, notes in self.step_names]

    def step_results(self) -> list[dict[str, Any]]:
        return [{"step": i, "done": bool(self.cleaned_data.get(done)), "notes": self.cleaned_data.get(notes, "")}
                for i, (done, notes) in enumerate(self.step_names)]

    def clean_findings(self) -> list[str]:
        return _lines(self.cleaned_data.get("findings", ""))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=2000)


class FindingForm(forms.Form):
    text = forms.CharField(label=_("Finding"), widget=forms.Textarea(attrs={"rows": 2}), max_length=8000)


class JobForm(forms.Form):
    ci: forms.ModelChoiceField[Any] = forms.ModelChoiceField(label=_("Configuration item"), queryset=None)  # type: ignore[arg-type]
    name = forms.CharField(label=_("Name"), max_length=200)
    method = forms.ChoiceField(label=_("Method"), choices=BackupMethod.choices)
    interval_hours = forms.IntegerField(label=_("Expected every (hours)"), min_value=1, max_value=24 * 366, initial=24)
    grace_hours = forms.IntegerField(label=_("Grace (hours)"), min_value=0, max_value=24 * 30, initial=2)
    retention = forms.CharField(label=_("Retention"), max_length=100, required=False)
    location = forms.CharField(label=_("Location"), max_length=300, required=False)
    restore_max_age_days = forms.IntegerField(label=_("Restore test at least every (days)"), min_value=1,
                                              max_value=3660, required=False,
                                              help_text=_("Empty: the site default."))
    group = forms.ModelChoiceField(label=_("Responsible group"), queryset=SupportGroup.objects.filter(is_active=True),
                                   required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ci"].queryset = ci_list(user=user).order_by("name", "pk")  # type: ignore[attr-defined]


class RunForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=RunOutcome.choices)
    started_at = forms.DateTimeField(label=_("Started"), widget=IsoDateTimeLocalInput(),
                                     input_formats=DATETIME_INPUT_FORMATS)
    finished_at = forms.DateTimeField(label=_("Finished"), widget=IsoDateTimeLocalInput(), required=False,
                                      input_formats=DATETIME_INPUT_FORMATS)
    size_bytes = forms.IntegerField(label=_("Size (bytes)"), min_value=0, max_value=2**62, required=False)
    message = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 2}), required=False,
                              max_length=8000)


class RestoreScheduleForm(forms.Form):
    scheduled_for = forms.DateField(label=_("Scheduled for"), widget=IsoDateInput())


class RestoreRecordForm(forms.Form):
    passed = forms.TypedChoiceField(label=_("Result"), coerce=lambda v: v == "1",
                                    choices=[("1", _("Passed")), ("0", _("Failed"))])
    restored_what = forms.CharField(label=_("What was restored"), widget=forms.Textarea(attrs={"rows": 2}),
                                    max_length=8000)
    check_method = forms.CharField(label=_("How it was checked"), widget=forms.Textarea(attrs={"rows": 2}),
                                   max_length=8000)
    duration_minutes = forms.IntegerField(label=_("Time taken (minutes)"), min_value=0, max_value=10**6, required=False)
    performed_at = forms.DateTimeField(label=_("Performed at"), widget=IsoDateTimeLocalInput(),
                                       input_formats=DATETIME_INPUT_FORMATS)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=8000)
