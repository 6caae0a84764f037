"""Forms of the CMDB pages; thin: they collect input, the services validate and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from opsdesk.widgets import IsoDateInput

from .choices import RELATION_INVERSE, AttributeType, CIStatus, RelationType
from .models import CI, CIClass, MaintenanceContract

ATTR_PREFIX = "attr_"
MAX_SELECT = 1000
DATE_INPUT = IsoDateInput()


def attribute_field(definition: dict[str, Any]) -> forms.Field:
    """A form field for one attribute definition; values are validated again by the service."""
    label = definition.get("label") or definition["name"]
    kind = definition.get("type", AttributeType.TEXT)
    common: dict[str, Any] = {"label": label, "required": False, "help_text": definition.get("help", "")}
    if kind == AttributeType.BOOL:
        return forms.NullBooleanField(widget=forms.Select(choices=[("", "–"), ("true", _("Yes")), ("false", _("No"))]),
                                      **common)
    if kind == AttributeType.CHOICE:
        return forms.ChoiceField(choices=[("", "–"), *[(c, c) for c in definition.get("choices") or []]], **common)
    if kind == AttributeType.DATE:
        return forms.CharField(widget=IsoDateInput(), **common)
    if kind in (AttributeType.INT, AttributeType.DECIMAL):
        return forms.CharField(widget=forms.TextInput(attrs={"inputmode": "decimal"}), max_length=40, **common)
    return forms.CharField(max_length=500, **common)


class CIForm(forms.Form):
    """Create / edit a CI. Attribute fields (attr_<name>) come from the CI class's definitions."""

    name = forms.CharField(label=_("Name"), max_length=200)
    organization = forms.ModelChoiceField(label=_("Organisation"), queryset=Organization.objects.filter(is_active=True))
    status = forms.ChoiceField(label=_("Status"), choices=CIStatus.choices, initial=CIStatus.IN_USE)
    site = forms.CharField(label=_("Site"), max_length=100, required=False)
    building = forms.CharField(label=_("Building"), max_length=100, required=False)
    floor = forms.CharField(label=_("Floor"), max_length=40, required=False)
    room = forms.CharField(label=_("Room"), max_length=100, required=False)
    rack = forms.CharField(label=_("Rack"), max_length=40, required=False)
    location = forms.CharField(label=_("Location (free text)"), max_length=200, required=False,
                               help_text=_("Used when site, building, floor, room and rack are empty."))
    serial = forms.CharField(label=_("Serial number"), max_length=100, required=False)
    asset_tag = forms.CharField(label=_("Asset tag"), max_length=100, required=False)
    vendor = forms.CharField(label=_("Vendor"), max_length=100, required=False)
    model = forms.CharField(label=_("Model"), max_length=100, required=False)
    purchase_date = forms.DateField(label=_("Purchase date"), required=False, widget=DATE_INPUT)
    warranty_end = forms.DateField(label=_("Warranty ends"), required=False, widget=DATE_INPUT)
    contract = forms.ModelChoiceField(label=_("Maintenance contract"), queryset=MaintenanceContract.objects.none(),
                                      required=False)
    in_service_date = forms.DateField(label=_("In service since"), required=False, widget=DATE_INPUT,
                                      help_text=_("Empty: the purchase date counts."))
    design_life_years = forms.IntegerField(label=_("Design life (years)"), required=False, min_value=1, max_value=50,
                                           help_text=_("Empty: the class's design life, else 6 years."))
    end_of_life = forms.DateField(label=_("End of life"), required=False, widget=DATE_INPUT,
                                  help_text=_("Empty: in service date plus the design life."))
    end_of_support = forms.DateField(label=_("End of support"), required=False, widget=DATE_INPUT,
                                     help_text=_("The vendor's end of support; empty: the end of life."))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, ci_class: CIClass, instance: CI | None = None, **kwargs: Any) -> None:
        self.ci_class = ci_class
        self.instance = instance
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                **{name: getattr(instance, name) for name in (
                    "name", "status", "site", "building", "floor", "room", "rack", "location", "serial", "asset_tag",
                    "vendor", "model", "purchase_date", "warranty_end", "in_service_date", "design_life_years",
                    "end_of_life", "end_of_support", "version")},
                "organization": instance.organization_id, "contract": instance.contract_id,
                **{f"{ATTR_PREFIX}{k}": ("true" if v is True else "false" if v is False else v)
                   for k, v in (instance.attributes or {}).items()},
            }
        super().__init__(*args, **kwargs)
        self.definitions = [d for d in (ci_class.attributes or []) if isinstance(d, dict) and d.get("name")]
        for definition in self.definitions:
            field = attribute_field(definition)
            if definition.get("required"):
                field.label = f"{field.label} *"
            self.fields[f"{ATTR_PREFIX}{definition['name']}"] = field
        contracts = MaintenanceContract.objects.all()
        if instance is not None:
            del self.fields["organization"]
            contracts = contracts.filter(organization_id=instance.organization_id)
        self.fields["contract"].queryset = contracts.order_by("organization__name", "number")  # type: ignore[attr-defined]

    def attribute_fields(self) -> list[forms.BoundField]:
        return [self[f"{ATTR_PREFIX}{d['name']}"] for d in self.definitions]

    def main_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if not name.startswith(ATTR_PREFIX) and name != "version"]

    def values(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if not k.startswith(ATTR_PREFIX) and k != "version"}
        attributes: dict[str, Any] = {}
        for definition in self.definitions:
            value = self.cleaned_data.get(f"{ATTR_PREFIX}{definition['name']}")
            if value not in (None, ""):
                attributes[definition["name"]] = value
        data["attributes"] = attributes
        return data

    def add_service_errors(self, exc: ValidationError) -> None:
        for key, messages in getattr(exc, "message_dict", {"__all__": exc.messages}).items():
            name = key.replace("attributes.", ATTR_PREFIX, 1) if key.startswith("attributes.") else key
            self.add_error(name if name in self.fields else None, messages)


def relation_choices() -> list[tuple[str, str]]:
    """'out:<type>' = this CI <type> the other; 'in:<type>' = the other <type> this CI."""
    return [*[(f"out:{value}", str(label)) for value, label in RelationType.choices],
            *[(f"in:{value}", str(RELATION_INVERSE[RelationType(value)])) for value in RelationType.values]]


class RelationForm(forms.Form):
    relation = forms.ChoiceField(label=_("This CI …"), choices=relation_choices)
    other = forms.ModelChoiceField(label=_("… this CI"), queryset=CI.objects.none())
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, ci: CI, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The same organisation's CIs (a cross-organisation link goes through the API).
        self.fields["other"].queryset = (  # type: ignore[attr-defined]
            CI.objects.filter(organization_id=ci.organization_id).exclude(pk=ci.pk)
            .exclude(status=CIStatus.RETIRED).select_related("ci_class").order_by("name", "id"))
        self.fields["other"].label_from_instance = lambda o: f"{o.name} · {o.ci_class}"  # type: ignore[attr-defined]
        if self.fields["other"].queryset.count() > MAX_SELECT:  # type: ignore[attr-defined]
            self.fields["other"].widget = forms.NumberInput(attrs={"min": 1})
            self.fields["other"].help_text = _("Too many to list: enter the other CI's id (the number in its address).")


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV or Excel file"),
                           help_text=_("Columns as in the sample files; the first row names the columns."))


class WarrantyFilterForm(forms.Form):
    days = forms.IntegerField(label=_("Expiring within (days)"), min_value=0, max_value=3650, initial=90,
                              required=False)
    organization = forms.ModelChoiceField(label=_("Organisation"), queryset=Organization.objects.all(), required=False)


class EolFilterForm(forms.Form):
    months = forms.IntegerField(label=_("End of life within (months)"), min_value=0, max_value=600, initial=12,
                                required=False)
    organization = forms.ModelChoiceField(label=_("Organisation"), queryset=Organization.objects.all(), required=False)
