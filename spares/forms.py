from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from changes.models import Change
from cmdb.choices import CIStatus
from cmdb.models import CIClass
from cmdb.selectors import ci_list
from incidents.selectors import incident_base
from opsdesk.widgets import IsoDateInput, IsoDateTimeLocalInput

from .choices import PUTS_INTO, TAKES_FROM, MovementKind, ReplacementDecision, RMAStatus
from .models import SparePart
from .selectors import storeroom_list


class StoreroomChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        # The storeroom's owner: a customer's site, or the maintenance provider's own store.
        owner = obj.organization if obj.organization_id else pgettext("storeroom owner", "provider")
        return f"{obj.name} · {owner}"


class MovementForm(forms.Form):
    """One form for every kind of movement; only the fields the kind uses are kept."""

    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=1_000_000, initial=1)
    from_storeroom = StoreroomChoiceField(label=_("From storeroom"), queryset=None)
    to_storeroom = StoreroomChoiceField(label=_("To storeroom"), queryset=None)
    incident = forms.CharField(label=_("Incident number"), required=False, max_length=30,
                               widget=forms.TextInput(attrs={"placeholder": "INC-…", "autocomplete": "off"}))
    change = forms.CharField(label=_("Change number"), required=False, max_length=30,
                             widget=forms.TextInput(attrs={"placeholder": "CHG-…", "autocomplete": "off"}))
    reference = forms.CharField(label=_("Reference"), required=False, max_length=100,
                                help_text=_("Delivery note, purchase order, RMA or other document number."))
    note = forms.CharField(label=_("Note"), required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, kind: str, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind, self.user = kind, user
        rooms = storeroom_list(user=user, active_only=True).order_by("organization_id", "name")
        for name in ("from_storeroom", "to_storeroom"):
            self.fields[name].queryset = rooms  # type: ignore[attr-defined]
        if kind not in TAKES_FROM:
            del self.fields["from_storeroom"]
        if kind not in PUTS_INTO:
            del self.fields["to_storeroom"]
        if kind not in (MovementKind.ISSUE, MovementKind.RETURN):
            del self.fields["incident"], self.fields["change"]
        if kind == MovementKind.WRITE_OFF:
            self.fields["note"].required = True
            self.fields["note"].label = _("Reason")

    def clean_incident(self) -> Any:
        number = (self.cleaned_data.get("incident") or "").strip().upper()
        if not number:
            return None
        found = incident_base(user=self.user).filter(number=number).first()
        if found is None:
            raise forms.ValidationError(_("No incident %(number)s.") % {"number": number})
        return found

    def clean_change(self) -> Any:
        number = (self.cleaned_data.get("change") or "").strip().upper()
        if not number:
            return None
        found = Change.objects.visible_to(self.user).filter(number=number).first()
        if found is None:
            raise forms.ValidationError(_("No change %(number)s.") % {"number": number})
        return found


class PartForm(forms.Form):
    part_number = forms.CharField(label=_("Part number"), max_length=60)
    name = forms.CharField(label=_("Name"), max_length=200)
    vendor = forms.CharField(label=_("Vendor"), max_length=100, required=False)
    model = forms.CharField(label=_("Model"), max_length=100, required=False,
                            help_text=_("The device model it fits or replaces (matched against CIs)."))
    ci_class = forms.ModelChoiceField(label=_("CI class"), queryset=CIClass.objects.order_by("name"), required=False)
    unit = forms.CharField(label=_("Unit"), max_length=20, initial="pcs")
    reorder_level = forms.IntegerField(label=_("Reorder level"), min_value=0, max_value=1_000_000, initial=0,
                                       help_text=_("Reorder when the stock across all storerooms is at or below "
                                                   "this; 0 = never."))
    approval_required = forms.BooleanField(label=_("Issues and write-offs need approval"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)


class DecisionForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=500)


class LendForm(forms.Form):
    """Lend a standby device for an incident: a CI on standby, or one unit of a part from a storeroom."""

    incident = forms.CharField(label=_("Incident number"), max_length=30,
                               widget=forms.TextInput(attrs={"placeholder": "INC-…", "autocomplete": "off"}))
    standby_ci = forms.ModelChoiceField(label=_("Standby device (CMDB)"), queryset=None, required=False,
                                        empty_label=_("— a unit from the store instead —"))
    part = forms.ModelChoiceField(label=_("Spare part"), queryset=None, required=False,
                                  empty_label=_("— a standby device from the CMDB instead —"))
    storeroom = StoreroomChoiceField(label=_("From storeroom"), queryset=None, required=False)
    serial = forms.CharField(label=_("Serial number of the unit"), required=False, max_length=80)
    due_back = forms.DateTimeField(label=_("Due back"), required=False,
                                   widget=IsoDateTimeLocalInput(),
                                   input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"])
    note = forms.CharField(label=_("Note"), required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["standby_ci"].queryset = (  # type: ignore[attr-defined]
            ci_list(user=user).filter(status=CIStatus.STANDBY).order_by("name", "id"))
        self.fields["part"].queryset = SparePart.objects.visible_to(user).filter(  # type: ignore[attr-defined]
            is_active=True).order_by("name", "id")
        self.fields["storeroom"].queryset = storeroom_list(  # type: ignore[attr-defined]
            user=user, active_only=True).order_by("organization_id", "name")

    def clean_incident(self) -> Any:
        number = (self.cleaned_data.get("incident") or "").strip().upper()
        found = incident_base(user=self.user).filter(number=number).first()
        if found is None:
            raise forms.ValidationError(_("No incident %(number)s.") % {"number": number})
        return found

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("standby_ci") and not data.get("part") and not self.errors:
            raise forms.ValidationError(_("Choose a standby device from the CMDB or a part from the store."))
        return data


class ReplacementForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=ReplacementDecision.choices)
    replaced_by = forms.ModelChoiceField(label=_("Replaced by (CMDB)"), queryset=None, required=False,
                                         empty_label="–")
    replacement_serial = forms.CharField(label=_("Serial number of the replacement"), required=False, max_length=100)
    replaced_on = forms.DateField(label=_("Replaced on"), required=False,
                                  widget=IsoDateInput())
    note = forms.CharField(label=_("Note"), required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, user: Any, organization_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cis = ci_list(user=user).exclude(status=CIStatus.RETIRED).order_by("name", "id")
        if organization_id is not None:
            cis = cis.filter(organization_id=organization_id)
        self.fields["replaced_by"].queryset = cis  # type: ignore[attr-defined]


class RMAForm(forms.Form):
    ci = forms.IntegerField(label=_("Device (CI id)"), min_value=1)
    vendor = forms.CharField(label=_("Vendor"), max_length=100, required=False,
                             help_text=_("Empty: the device's vendor."))
    vendor_ref = forms.CharField(label=_("Vendor RMA number"), max_length=100, required=False)
    sent_on = forms.DateField(label=_("Sent on"), widget=IsoDateInput())
    fault = forms.CharField(label=_("Fault"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class RMAAdvanceForm(forms.Form):
    to = forms.ChoiceField(label=_("New status"), choices=RMAStatus.choices)
    on = forms.DateField(label=_("On"), widget=IsoDateInput())
    vendor_ref = forms.CharField(label=_("Vendor RMA number"), max_length=100, required=False)
    replacement_serial = forms.CharField(label=_("Serial number of the replacement"), max_length=100, required=False)
    note = forms.CharField(label=_("Note"), max_length=2000, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
