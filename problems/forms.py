"""Forms of the problem pages. They shape input; the services validate and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.selectors import organization_list
from cmdb.selectors import ci_list
from incidents.choices import CauseCategory
from tickets.forms import UserChoiceField, active_groups, assignable_users
from tickets.workflow import Transition

from .choices import ProblemPriority


def _cause_choices() -> list[tuple[str, Any]]:
    return [("", "—"), *CauseCategory.choices]


class ProblemFieldsMixin(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, max_length=20000,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    priority = forms.ChoiceField(label=_("Priority"), choices=ProblemPriority.choices, initial=ProblemPriority.MEDIUM)
    ci = forms.ModelChoiceField(label=_("Device / CI"), queryset=None, required=False, empty_label=_("— none —"))
    cause_category = forms.ChoiceField(label=_("Cause category"), choices=_cause_choices, required=False)
    root_cause = forms.CharField(label=_("Root cause"), required=False, max_length=20000,
                                 widget=forms.Textarea(attrs={"rows": 3}))
    workaround = forms.CharField(label=_("Workaround"), required=False, max_length=20000,
                                 widget=forms.Textarea(attrs={"rows": 3}),
                                 help_text=_("Shown on linked incidents and offered to the hotline."))
    group = forms.ModelChoiceField(label=_("Support group"), queryset=None, required=False,
                                   empty_label=_("— no group —"))
    assignee = UserChoiceField(label=_("Problem owner"), queryset=None, required=False,
                               empty_label=_("— nobody named —"))

    def setup_choices(self, *, user: Any, organization_id: int | None) -> None:
        cis = ci_list(user=user).select_related(None).only("id", "name")
        self.fields["ci"].queryset = cis.filter(organization_id=organization_id) if organization_id else cis.none()
        self.fields["group"].queryset = active_groups()
        self.fields["assignee"].queryset = assignable_users()


class ProblemCreateForm(ProblemFieldsMixin):
    organization = forms.ModelChoiceField(label=_("Organisation"), queryset=None)
    incidents = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: Any, organization_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organization_list(user=user).only("id", "name")
        org = self.data.get("organization") if self.is_bound else organization_id
        self.setup_choices(user=user, organization_id=int(org) if str(org or "").isdigit() else None)
        self.order_fields(["organization", "title", "description", "priority", "ci", "cause_category", "root_cause",
                           "workaround", "group", "assignee", "incidents"])

    def incident_ids(self) -> list[int]:
        raw = self.cleaned_data.get("incidents") or ""
        return [int(part) for part in raw.split(",") if part.strip().isdigit() and len(part.strip()) < 19]


class ProblemEditForm(ProblemFieldsMixin):
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: Any, problem: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "edit")
        super().__init__(*args, **kwargs)
        self.setup_choices(user=user, organization_id=problem.organization_id)
        self.order_fields(["version", "title", "description", "priority", "ci", "cause_category", "root_cause",
                           "workaround", "group", "assignee"])

    @staticmethod
    def initial_for(problem: Any) -> dict[str, Any]:
        return {"version": problem.version, "title": problem.title, "description": problem.description,
                "priority": problem.priority, "ci": problem.ci_id, "cause_category": problem.cause_category,
                "root_cause": problem.root_cause, "workaround": problem.workaround, "group": problem.group_id,
                "assignee": problem.assignee_id}

    def changes(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


class ProblemTransitionForm(forms.Form):
    """One small form per workflow action, with exactly the fields that action needs."""

    FIELDS_BY_ACTION: dict[str, tuple[str, ...]] = {
        "known_error": ("root_cause", "workaround"),
        "resolve": ("resolution",),
        "fix": ("change_number",),
        "reopen": ("reason",),
        "cancel": ("reason",),
    }
    LABELS = {
        "root_cause": _("Root cause"), "workaround": _("Workaround"), "resolution": _("Resolution"),
        "change_number": _("Change number (CHG-…)"), "reason": _("Reason"),
    }

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, transition: Transition, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", transition.action)
        super().__init__(*args, **kwargs)
        self.transition = transition
        required = set(transition.requires)
        for name in self.FIELDS_BY_ACTION.get(transition.action, ()):
            if name == "change_number":
                self.fields[name] = forms.CharField(label=self.LABELS[name], max_length=20, required=True)
            else:
                # known_error may reuse the root cause / workaround already on the problem: not required here.
                self.fields[name] = forms.CharField(
                    label=self.LABELS[name], widget=forms.Textarea(attrs={"rows": 2}), max_length=20000,
                    required=name in required and transition.action != "known_error")

    @property
    def has_inputs(self) -> bool:
        return any(not f.is_hidden for f in self)

    def payload(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "version" and v not in (None, "")}


class LinkIncidentsForm(forms.Form):
    incidents = forms.CharField(label=_("Incident numbers or ids"), max_length=2000,
                                help_text=_("Separated by commas or spaces, e.g. INC-000123, INC-000124."))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
