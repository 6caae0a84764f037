"""Release pages' forms: create/edit, record a deployment, the transition forms and the calendar
filters. They shape input only; releases.services decides and raises field errors."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.selectors import organization_list
from cmdb.selectors import ci_list
from opsdesk.widgets import IsoDateTimeLocalInput
from tickets.forms import TransitionForm, UserChoiceField
from tickets.workflow import Transition

from .choices import DeploymentResult, Environment
from .models import Release
from .selectors import release_change_list, release_change_options

LOCAL_INPUT = "%Y-%m-%dT%H:%M"


def local_datetime_field(label: Any, *, required: bool = False, help_text: Any = "") -> forms.DateTimeField:
    """A `datetime-local` input read on the wall clock of the current time zone (Asia/Shanghai)."""
    return forms.DateTimeField(
        label=label, required=required, help_text=help_text,
        widget=IsoDateTimeLocalInput(),
        input_formats=[LOCAL_INPUT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"])


class ChangeChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.number} · {obj.title} ({obj.get_status_display()})"


class ReleaseForm(forms.Form):
    """Create (with the organisation) or edit (with the changes and the version read) a release."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    title = forms.CharField(label=_("Title"), max_length=200)
    release_version = forms.CharField(label=_("Version"), max_length=50, help_text=_("e.g. 2.4.0 or 2026-Q4"))
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    plan = forms.CharField(label=_("Deployment plan"), required=False, widget=forms.Textarea(attrs={"rows": 5}),
                           help_text=_("Steps, order of environments and sites, who does what, checks."))
    planned_start = local_datetime_field(_("Planned start"))
    planned_end = local_datetime_field(_("Planned end"))

    def __init__(self, *args: Any, user: Any, release: Release | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.release = release
        if release is None:
            self.fields["organization"] = forms.ModelChoiceField(
                queryset=organization_list(user=user).filter(is_active=True), label=_("Organisation"),
                empty_label=_("— choose —"))
            del self.fields["version"]
            self.order_fields(["organization", "title", "release_version"])
        else:
            current = release_change_list(user=user, release=release)
            options = release_change_options(user=user, release=release)
            self.fields["changes"] = ChangeChoiceField(
                queryset=(options | current).distinct().order_by("-reported_at", "-id"), required=False,
                label=_("Grouped changes"), widget=forms.CheckboxSelectMultiple,
                help_text=_("Changes of this organisation that are in no other open release."))

    @staticmethod
    def initial_for(release: Release) -> dict[str, Any]:
        return {"version": release.version, "title": release.title, "release_version": release.release_version,
                "description": release.description, "plan": release.plan, "planned_start": release.planned_start,
                "planned_end": release.planned_end,
                "changes": list(release.release_changes.values_list("change_id", flat=True))}

    def field_values(self) -> dict[str, Any]:
        skip = {"version", "changes", "organization"}
        return {k: v for k, v in self.cleaned_data.items() if k not in skip}


class DeploymentForm(forms.Form):
    environment = forms.ChoiceField(label=_("Environment"), choices=Environment.choices)
    site = forms.CharField(label=_("Site"), max_length=200, required=False,
                           help_text=_("Optional: the data centre, branch or site deployed to."))
    started_at = local_datetime_field(_("Started"), required=True)
    finished_at = local_datetime_field(_("Finished"), required=True)
    result = forms.ChoiceField(label=_("Result"), choices=DeploymentResult.choices)
    deployed_by = UserChoiceField(queryset=User.objects.none(), label=_("Deployed by"), required=False,
                                  empty_label=_("— me —"))
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                            help_text=_("Required when it failed or was rolled back."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "deployment")
        super().__init__(*args, **kwargs)
        staff = User.objects.filter(is_active=True).exclude(role="customer").order_by("name", "username")
        self.fields["deployed_by"].queryset = staff  # type: ignore[attr-defined]


class ReleaseTransitionForm(TransitionForm):
    """The ticket kernel's transition form plus the notes a release's actions ask for."""

    NOTES = {"verify": ("verification_notes", _("How was the release verified?")),
             "roll_back": ("rollback_notes", _("What was rolled back, and why?"))}

    def __init__(self, *args: Any, transition: Transition, **kwargs: Any) -> None:
        super().__init__(*args, transition=transition, **kwargs)
        if transition.action == "replan":
            self.fields["reason"] = forms.CharField(label=_("Reason"), required=False,
                                                    widget=forms.Textarea(attrs={"rows": 2}))
        notes = self.NOTES.get(transition.action)
        if notes:
            name, label = notes
            self.fields[name] = forms.CharField(label=label, widget=forms.Textarea(attrs={"rows": 3}),
                                                required=name in transition.requires)


class CalendarFilterForm(forms.Form):
    """The calendar's organisation and CI filters (bad values are ignored, never a 500)."""

    organization = forms.ModelChoiceField(queryset=None, required=False, label=_("Organisation"),  # type: ignore[arg-type]
                                          empty_label=_("All organisations"))
    ci = forms.ModelChoiceField(queryset=None, required=False, label=_("Configuration item"),  # type: ignore[arg-type]
                                empty_label=_("All CIs"))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organization_list(user=user).filter(  # type: ignore[attr-defined]
            is_active=True).order_by("name")
        org = self.data.get("organization", "")
        cis = ci_list(user=user).order_by("name", "id")
        self.fields["ci"].queryset = (  # type: ignore[attr-defined]
            cis.filter(organization_id=int(org)) if str(org).isdigit() and len(str(org)) < 19 else cis.none())
