"""The manager's plan form and the checklist copy's item formset. Forms only shape input: the plan
rules are `plan_clean()` (shared with the admin form) and the services decide what is allowed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization, SupportGroup, User
from cmdb.choices import CIStatus
from cmdb.models import CI, CIClass
from opsdesk.widgets import IsoDateInput
from spares.models import Storeroom

from .choices import ItemKind
from .models import ChecklistItem, ChecklistTemplate, InspectionPlan
from .services import plan_clean

WEEKDAYS = [(0, _("Monday")), (1, _("Tuesday")), (2, _("Wednesday")), (3, _("Thursday")), (4, _("Friday")),
            (5, _("Saturday")), (6, _("Sunday"))]


class PlanCleanMixin:
    """Runs the plan rules (`plan_clean`) after the model's own validation, errors next to fields."""

    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]
        form: Any = self
        if form.errors:
            return
        try:
            plan_clean(form.instance)
        except ValidationError as exc:
            form._update_errors(exc)


class ManyOptionsSelect(forms.SelectMultiple):
    """A multi-select rendered in one pass (thousands of CIs: Django's per-option templates take
    seconds; this takes milliseconds). Same markup: <select multiple> with escaped options."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        final = self.build_attrs(self.attrs, attrs)
        final.update(name=name, multiple=True)
        chosen = {str(v) for v in self.format_value(value)}
        options = "".join(
            f'<option value="{escape(str(v))}"{" selected" if str(v) in chosen else ""}>{escape(label)}</option>'
            for v, label in self.choices)
        return mark_safe(f"<select{flatatt(final)}>{options}</select>")  # noqa: S308 - every part escaped above


class CIChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        parts = [obj.name, obj.ci_class.name, obj.site, obj.location]
        return " · ".join(p for p in parts if p)


class PlanForm(PlanCleanMixin, forms.ModelForm):
    """Create or edit a plan. The CI list offers the chosen organisation's CIs only (a search box
    filters it in the browser); without an organisation it is empty until the form is refreshed."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    nth = forms.IntegerField(label=_("N (which one)"), min_value=1, max_value=23, initial=1,
                             help_text=_("1 = the first working day / weekday of the period, 2 = the second, …"))
    due_working_days = forms.IntegerField(label=_("Due within working days"), min_value=1, max_value=60, initial=5,
                                          help_text=_("1 = due the same day it is scheduled."))
    weekday = forms.TypedChoiceField(label=_("Weekday"), choices=WEEKDAYS, coerce=int, initial=0,
                                     help_text=_("For “Nth weekday”: e.g. n = 1 and Monday is the first Monday."))
    cis = CIChoiceField(queryset=CI.objects.none(), required=False, label=_("Configuration items (explicit list)"),
                        widget=ManyOptionsSelect(attrs={"size": 10, "class": "insp-ci-select"}),
                        help_text=_("Empty = every CI the class, site and location select. Type in the search "
                                    "box to filter; hold Ctrl (or ⌘) to choose several."))

    class Meta:
        model = InspectionPlan
        fields = ["name", "template", "organization", "ci_class", "site", "location", "cis", "sample_size",
                  "storeroom", "frequency", "day_rule", "nth", "weekday", "due_working_days", "group", "assignee",
                  "starts_on", "ends_on"]
        widgets = {"starts_on": IsoDateInput(), "ends_on": IsoDateInput()}
        help_texts = {"storeroom": _("Store checks only: the storeroom whose parts are counted.")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        f: Any = self.fields
        f["template"].queryset = ChecklistTemplate.objects.filter(is_active=True).order_by("copied_from_id", "code")
        f["organization"].queryset = Organization.objects.filter(is_active=True).order_by("name")
        f["ci_class"].queryset = CIClass.objects.order_by("name")
        f["group"].queryset = SupportGroup.objects.filter(is_active=True).order_by("name")
        f["assignee"].queryset = User.objects.filter(is_active=True).exclude(role="customer").order_by("name")
        f["storeroom"].queryset = Storeroom.objects.filter(is_active=True).order_by("name")
        org_id = self._organization_id()
        cis = CI.objects.none()
        if org_id:
            cis = (CI.objects.filter(organization_id=org_id).exclude(status=CIStatus.RETIRED)
                   .select_related("ci_class").only("id", "name", "site", "location", "ci_class__name")
                   .order_by("name", "id"))
        f["cis"].queryset = cis
        f["cis"].widget.attrs["data-search-label"] = str(_("Search CIs"))
        if self.instance.pk:
            f["version"].initial = self.instance.version
            f["organization"].disabled = True  # rounds, CIs and the calendar belong to it
            f["organization"].help_text = _("Fixed once the plan exists.")

    def _organization_id(self) -> int | None:
        if self.instance.pk:
            return int(self.instance.organization_id)
        raw = str(self.data.get(self.add_prefix("organization"), "") or self.initial.get("organization", "") or "")
        return int(raw) if raw.isdigit() and len(raw) < 19 else None

    def plan_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in self.Meta.fields if name != "cis"}


class TemplateHeaderForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1, max_value=2**31 - 1)

    class Meta:
        model = ChecklistTemplate
        fields = ["name", "name_en", "form_name", "form_name_en"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.fields["version"].initial = self.instance.version


class ItemForm(forms.ModelForm):
    class Meta:
        model = ChecklistItem
        fields = ["text", "text_en", "kind", "unit", "min_value", "max_value", "photo_required"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("min_value"), data.get("max_value")
        if low is not None and high is not None and low > high:
            self.add_error("max_value", _("The upper limit is below the lower limit."))
        if (data.get("kind") == ItemKind.CHOICE and not (self.instance.pk and self.instance.kind == ItemKind.CHOICE)
                and not data.get("DELETE")):
            self.add_error("kind", _("Only an item copied as a choice can be a choice; use pass / fail, a reading "
                                     "or text."))
        return data


ItemFormSet = forms.modelformset_factory(ChecklistItem, form=ItemForm, extra=2, can_order=True, can_delete=True,
                                         max_num=200, validate_max=True)
