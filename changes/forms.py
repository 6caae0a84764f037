"""Staff forms for changes: the change form (create and edit, with the risk questionnaire), the
workflow action forms drawn from the transition table, and the incident-link form. They shape
input only; changes.services decides and raises field errors."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.selectors import contact_list, organization_list
from cmdb.choices import CIStatus
from cmdb.selectors import ci_list
from opsdesk.widgets import IsoDateTimeLocalInput
from problems.models import Problem
from tickets.forms import UserChoiceField
from tickets.workflow import Transition

from .choices import ChangeRisk, ChangeType, IncidentRelation, ReviewOutcome
from .models import CAB, Change, ChangeTemplate
from .risk import QUESTIONS

LocalDateTimeInput = IsoDateTimeLocalInput


class CIMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} · {obj.location}" if obj.location else obj.name


class ChangeForm(forms.Form):
    """Raise or edit a change. On create the organisation is chosen; on edit it is fixed."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    type = forms.ChoiceField(label=_("Type"), choices=ChangeType.choices, initial=ChangeType.NORMAL)
    template = forms.ModelChoiceField(queryset=ChangeTemplate.objects.none(), required=False,
                                      label=_("Standard change template"), empty_label=_("— none —"),
                                      help_text=_("Standard changes only: its plans and risk are pre-approved."))
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("What changes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("Why the change is needed."))
    cis = CIMultipleChoiceField(queryset=None, required=False, label=_("Configuration items"),  # type: ignore[arg-type]
                                widget=forms.SelectMultiple(attrs={"size": 6}))
    problems = forms.ModelMultipleChoiceField(queryset=Problem.objects.none(), required=False,
                                              label=_("Problems it fixes"))
    contact = forms.ModelChoiceField(queryset=None, required=False, label=_("Customer contact (approves)"),  # type: ignore[arg-type]
                                     empty_label=_("— any portal user of the organisation —"))
    assignee = UserChoiceField(queryset=User.objects.none(), required=False, label=_("Change owner"),
                               empty_label=_("— me —"))
    planned_start = forms.DateTimeField(label=_("Planned start"), required=False, widget=LocalDateTimeInput())
    planned_end = forms.DateTimeField(label=_("Planned end"), required=False, widget=LocalDateTimeInput())
    implementation_plan = forms.CharField(label=_("Implementation plan"), required=False,
                                          widget=forms.Textarea(attrs={"rows": 4}))
    backout_plan = forms.CharField(label=_("Back-out plan"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    test_plan = forms.CharField(label=_("Test plan"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, user: Any, change: Change | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.change = change
        org_id: int | None
        if change is None:
            self.fields["organization"] = forms.ModelChoiceField(
                queryset=organization_list(user=user).filter(is_active=True), label=_("Organisation"),
                empty_label=_("— choose —"))
            raw = self["organization"].value()
            org_id = int(raw) if str(raw or "").isdigit() and len(str(raw)) < 19 else None
            self.fields["cis"].widget.attrs.update({
                "hx-get": reverse("cmdb:ci_options"), "hx-trigger": "change from:#id_organization",
                "hx-include": "#id_organization", "hx-swap": "innerHTML"})
            self.fields["contact"].widget.attrs.update({
                "hx-get": reverse("accounts:contact_options"), "hx-trigger": "change from:#id_organization",
                "hx-include": "#id_organization", "hx-swap": "innerHTML"})
            self.order_fields(["organization", "type", "template", "title"])
        else:
            org_id = change.organization_id
            del self.fields["type"]
            del self.fields["template"]
        cis = ci_list(user=user).exclude(status=CIStatus.RETIRED).order_by("name", "id")
        self.fields["cis"].queryset = cis.filter(organization_id=org_id) if org_id else cis.none()  # type: ignore[attr-defined]
        contacts = contact_list(user=user).filter(is_active=True)
        self.fields["contact"].queryset = (  # type: ignore[attr-defined]
            contacts.filter(organization_id=org_id) if org_id else contacts.none())
        problems = Problem.objects.visible_to(user).order_by("-id")
        self.fields["problems"].queryset = problems.filter(organization_id=org_id) if org_id else problems.none()  # type: ignore[attr-defined]
        self.fields["assignee"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            is_active=True).exclude(role="customer").order_by("name", "username")
        if "template" in self.fields:
            templates = ChangeTemplate.objects.filter(is_active=True).order_by("name")
            self.fields["template"].queryset = (  # type: ignore[attr-defined]
                templates.filter(organization__isnull=True) | templates.filter(organization_id=org_id)
                if org_id else templates)
        for question in QUESTIONS:
            self.fields[f"risk_{question.key}"] = forms.ChoiceField(
                label=question.text, required=False, widget=forms.RadioSelect,
                choices=[(v, label) for v, label, _p in question.options])

    @property
    def risk_fields(self) -> list[Any]:
        return [self[f"risk_{q.key}"] for q in QUESTIONS]

    @staticmethod
    def initial_for(change: Change) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "version": change.version, "title": change.title, "description": change.description,
            "reason": change.reason, "cis": list(change.cis.values_list("pk", flat=True)),
            "problems": list(change.problems.values_list("pk", flat=True)), "contact": change.contact_id,
            "assignee": change.assignee_id, "planned_start": change.planned_start, "planned_end": change.planned_end,
            "implementation_plan": change.implementation_plan, "backout_plan": change.backout_plan,
            "test_plan": change.test_plan,
        }
        initial.update({f"risk_{k}": v for k, v in (change.risk_answers or {}).items()})
        return initial

    def risk_answers(self) -> dict[str, str] | None:
        answers = {q.key: self.cleaned_data.get(f"risk_{q.key}") for q in QUESTIONS}
        if not any(answers.values()):
            return None
        return {k: v or "" for k, v in answers.items()}

    def create_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "organization": data["organization"], "type": data["type"], "template": data.get("template"),
            "title": data["title"], "description": data["description"], "reason": data["reason"],
            "cis": list(data["cis"]), "problems": list(data["problems"]), "contact": data["contact"],
            "assignee": data["assignee"], "planned_start": data["planned_start"], "planned_end": data["planned_end"],
            "implementation_plan": data["implementation_plan"], "backout_plan": data["backout_plan"],
            "test_plan": data["test_plan"], "risk_answers": self.risk_answers(),
        }

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        out = {name: data[name] for name in (
            "title", "description", "reason", "contact", "planned_start", "planned_end", "implementation_plan",
            "backout_plan", "test_plan")}
        out["cis"] = list(data["cis"])
        out["problems"] = list(data["problems"])
        if data["assignee"] is not None:
            out["assignee"] = data["assignee"]
        answers = self.risk_answers()
        if answers is not None:
            out["risk_answers"] = answers
        return out


class ChangeActionForm(forms.Form):
    """One small form per workflow action, with exactly the fields that action takes. Same shape as
    tickets.forms.TransitionForm, so the shared transitions partial draws it."""

    FIELDS_BY_ACTION: dict[str, tuple[str, ...]] = {
        "assess": ("cab", "risk", "reason"),
        "approve": ("comment",),
        "reject": ("reason",),
        "schedule": ("override_reason",),
        "complete": ("note",),
        "fail": ("reason", "open_incident"),
        "back_out": ("reason",),
        "review": ("outcome", "objectives_met", "notes", "lessons"),
        "cancel": ("reason",),
    }

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, transition: Transition, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", transition.action)
        super().__init__(*args, **kwargs)
        self.transition = transition
        wanted = self.FIELDS_BY_ACTION.get(transition.action, ())
        required = set(transition.requires)
        make: dict[str, Any] = {
            "cab": lambda: forms.ModelChoiceField(
                queryset=CAB.objects.filter(is_active=True, is_emergency=False).order_by("name"), required=False,
                label=_("CAB"), empty_label=_("— the default CAB —")),
            "risk": lambda: forms.ChoiceField(
                label=_("Risk (overrides the questionnaire)"), required=False,
                choices=[("", _("— as the questionnaire says —")), *ChangeRisk.choices]),
            "reason": lambda: forms.CharField(label=_("Reason"), required="reason" in required,
                                              widget=forms.Textarea(attrs={"rows": 2})),
            "comment": lambda: forms.CharField(label=_("Comment"), required=False,
                                               widget=forms.Textarea(attrs={"rows": 2})),
            "override_reason": lambda: forms.CharField(
                label=_("Override reason (project manager, for blocking conflicts)"), required=False,
                widget=forms.Textarea(attrs={"rows": 2})),
            "note": lambda: forms.CharField(label=_("Implementation notes"), required=False,
                                            widget=forms.Textarea(attrs={"rows": 2})),
            "open_incident": lambda: forms.BooleanField(label=_("Open an incident for the failure"), required=False),
            "outcome": lambda: forms.ChoiceField(label=_("Outcome"), choices=[("", "—"), *ReviewOutcome.choices],
                                                 required=True),
            "objectives_met": lambda: forms.BooleanField(label=_("Objectives met"), required=False, initial=True),
            "notes": lambda: forms.CharField(label=_("Review notes"), required=True,
                                             widget=forms.Textarea(attrs={"rows": 3})),
            "lessons": lambda: forms.CharField(label=_("Lessons learnt"), required=False,
                                               widget=forms.Textarea(attrs={"rows": 2})),
        }
        for name in wanted:
            self.fields[name] = make[name]()

    @property
    def has_inputs(self) -> bool:
        return any(not f.is_hidden for f in self)

    def payload(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k != "version"}
        if "cab" in data:
            data["cab"] = data["cab"].pk if data["cab"] is not None else None
        if "objectives_met" in data:
            data["objectives_met"] = bool(data["objectives_met"])
        return {k: v for k, v in data.items() if v not in (None, "")}


class IncidentLinkForm(forms.Form):
    incident = forms.CharField(label=_("Incident number"), max_length=30,
                               widget=forms.TextInput(attrs={"placeholder": "INC-…"}))
    relation = forms.ChoiceField(label=_("Relation"), choices=IncidentRelation.choices,
                                 initial=IncidentRelation.CAUSED_BY)
    note = forms.CharField(label=_("Note"), required=False, max_length=5000)
