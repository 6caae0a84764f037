"""Operator forms for incidents: the hotline call form, the missed-call form and the edit form.
They shape input only; incidents.services / tickets.services decide and raise field errors."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.selectors import contact_find_by_phone, contact_list, organization_list
from cmdb.choices import CIStatus
from cmdb.selectors import ci_list
from tickets.choices import RequestType

from .choices import FaultLevel, Impact, Urgency

INCIDENT = "incident"
CALL_TYPES = [(INCIDENT, _("Incident (fault)")), *RequestType.choices]


class ContactChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} · {obj.phone}" if obj.phone else obj.name


class CIChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} · {obj.location}" if obj.location else obj.name


def _org_id(value: Any) -> int | None:
    value = getattr(value, "pk", value)
    return int(value) if str(value or "").isdigit() else None


class CallerFieldsMixin:
    """Organisation, contact and CI selects, the latter two limited to the chosen organisation
    (so the page never lists every contact, and a contact of another organisation is refused)."""

    fields: dict[str, forms.Field]

    def setup_caller_fields(self, *, user: Any, organization_id: int | None) -> None:
        self.fields["organization"] = forms.ModelChoiceField(
            queryset=organization_list(user=user).filter(is_active=True), required=False,
            label=_("Organisation"), empty_label=_("— choose —"))
        contacts = contact_list(user=user).filter(is_active=True)
        cis = ci_list(user=user).exclude(status=CIStatus.RETIRED).order_by("name", "id")
        self.fields["contact"] = ContactChoiceField(
            queryset=contacts.filter(organization_id=organization_id) if organization_id else contacts.none(),
            required=False, label=_("Contact"), empty_label=_("— caller not listed —"))
        self.fields["ci"] = CIChoiceField(
            queryset=cis.filter(organization_id=organization_id) if organization_id else cis.none(),
            required=False, label=_("Device / CI"), empty_label=_("— not known —"))
        org_select = self.fields["organization"].widget.attrs
        org_select["data-caller-org"] = ""
        contact_attrs = self.fields["contact"].widget.attrs
        contact_attrs.update({
            "hx-get": reverse("accounts:contact_options"), "hx-trigger": "change from:#id_organization",
            "hx-include": "#id_organization", "hx-swap": "innerHTML",
        })
        ci_attrs = self.fields["ci"].widget.attrs
        ci_attrs.update({
            "hx-get": reverse("cmdb:ci_options"), "hx-trigger": "change from:#id_organization",
            "hx-include": "#id_organization", "hx-swap": "innerHTML",
        })


class HotlineForm(CallerFieldsMixin, forms.Form):
    phone = forms.CharField(label=_("Caller's phone"), max_length=40, required=False)
    call_type = forms.ChoiceField(label=_("Call type"), choices=CALL_TYPES, initial=INCIDENT)
    title = forms.CharField(label=_("Summary"), max_length=200)
    description = forms.CharField(label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    impact = forms.ChoiceField(label=_("Impact"), required=False, choices=[("", "—"), *Impact.choices])
    urgency = forms.ChoiceField(label=_("Urgency"), required=False, choices=[("", "—"), *Urgency.choices])
    fault_level = forms.ChoiceField(
        label=_("Fault level"), required=False,
        choices=[("", _("Use the suggested level")), *FaultLevel.choices])
    level_reason = forms.CharField(
        label=_("Reason for a different level"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        source = self.data if self.is_bound else self.initial
        org_id = _org_id(source.get("organization"))
        self.user = user
        self.phone_match = None
        if self.is_bound and not source.get("contact") and source.get("phone"):
            # Plain-form path (no JavaScript): a phone number that names one contact fills the caller in.
            matches = list(contact_find_by_phone(user=user, phone=str(source["phone"]))[:2])
            if len(matches) == 1 and (org_id is None or org_id == matches[0].organization_id):
                self.phone_match = matches[0]
                org_id = matches[0].organization_id
        self.setup_caller_fields(user=user, organization_id=org_id)
        self.order_fields(["phone", "organization", "contact", "ci", "call_type", "title", "description",
                           "impact", "urgency", "fault_level", "level_reason"])
        self.fields["phone"].widget.attrs.update({
            "autofocus": True, "autocomplete": "off", "inputmode": "tel", "type": "tel",
            "hx-get": reverse("incidents:hotline_caller"), "hx-trigger": "input changed delay:400ms, search",
            "hx-target": "#caller-block", "hx-include": "#caller-block", "hx-sync": "this:replace",
        })

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.phone_match is not None:
            data["contact"] = self.phone_match
            data["organization"] = self.phone_match.organization
        contact = data.get("contact")
        if contact is not None and data.get("organization") is None:
            data["organization"] = contact.organization
        if data.get("organization") is None and "organization" not in self.errors:
            self.add_error("organization", _("Choose the caller's organisation (or type a known phone number)."))
        if data.get("call_type") == INCIDENT:
            for name in ("impact", "urgency"):
                if not data.get(name):
                    self.add_error(name, _("Choose the %(name)s of the fault.") % {"name": self.fields[name].label})
        return data


class MissedCallForm(forms.Form):
    phone = forms.CharField(label=_("Number"), max_length=40, required=False)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "missed")
        super().__init__(*args, **kwargs)
        self.fields["phone"].widget.attrs.update({"inputmode": "tel", "type": "tel", "autocomplete": "off"})


class IncidentEditForm(CallerFieldsMixin, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    impact = forms.ChoiceField(label=_("Impact"), choices=Impact.choices)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices)
    fault_level = forms.ChoiceField(label=_("Fault level"), choices=FaultLevel.choices)
    level_reason = forms.CharField(label=_("Reason for the fault level"), required=False,
                                   widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, user: Any, incident: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "edit")
        super().__init__(*args, **kwargs)
        self.setup_caller_fields(user=user, organization_id=incident.organization_id)
        del self.fields["organization"]  # an incident's organisation is fixed
        for name in ("contact", "ci"):
            for attr in ("hx-get", "hx-trigger", "hx-include", "hx-swap"):
                self.fields[name].widget.attrs.pop(attr, None)
        self.order_fields(["version", "title", "description", "contact", "ci", "impact", "urgency", "fault_level",
                           "level_reason"])

    @staticmethod
    def initial_for(incident: Any) -> dict[str, Any]:
        return {"version": incident.version, "title": incident.title, "description": incident.description,
                "contact": incident.contact_id, "ci": incident.ci_id, "impact": incident.impact,
                "urgency": incident.urgency, "fault_level": incident.fault_level,
                "level_reason": incident.level_reason}

    def changes(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


# --- SLA follow-ups: progress updates, fault report, spare-device loans -------------------------

class ProgressForm(forms.Form):
    body = forms.CharField(label=_("Progress"), max_length=20000, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("What has been done and what happens next. The customer sees this."))


class FaultReportForm(forms.Form):
    """The fault-handling analysis report (ST.FO05-96). `version` makes a concurrent save a conflict."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    summary = forms.CharField(label=_("Fault description"), required=False, max_length=20000,
                              widget=forms.Textarea(attrs={"rows": 3}))
    cause = forms.CharField(label=_("Cause analysis"), required=False, max_length=20000,
                            widget=forms.Textarea(attrs={"rows": 3}))
    handling = forms.CharField(label=_("Handling process"), required=False, max_length=20000,
                               widget=forms.Textarea(attrs={"rows": 3}))
    prevention = forms.CharField(label=_("Preventive measures"), required=False, max_length=20000,
                                 widget=forms.Textarea(attrs={"rows": 3}))

    SECTIONS = ("summary", "cause", "handling", "prevention")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "report")
        super().__init__(*args, **kwargs)

    @classmethod
    def initial_for(cls, report: Any) -> dict[str, Any]:
        if report is None:
            return {"version": 0}
        return {"version": report.version, **{name: getattr(report, name) for name in cls.SECTIONS}}

    def sections(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name) or "" for name in self.SECTIONS}


class SpareLoanForm(forms.Form):
    description = forms.CharField(label=_("Standby device"), required=False, max_length=200,
                                  help_text=_("Type it, or choose the standby device from the CMDB."))
    standby_ci = CIChoiceField(queryset=None, required=False, label=_("Standby device (CMDB)"),
                               empty_label=_("— not in the CMDB —"))
    faulty_ci = CIChoiceField(queryset=None, required=False, label=_("Faulty device"),
                              empty_label=_("— the incident's device —"))
    note = forms.CharField(label=_("Note"), required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, user: Any, incident: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "loan")
        super().__init__(*args, **kwargs)
        cis = ci_list(user=user).exclude(status=CIStatus.RETIRED).order_by("name", "id")
        self.fields["standby_ci"].queryset = cis.filter(status=CIStatus.STANDBY)  # type: ignore[attr-defined]
        self.fields["faulty_ci"].queryset = cis.filter(organization_id=incident.organization_id)  # type: ignore[attr-defined]
