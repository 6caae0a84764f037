from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.selectors import contact_list, organization_list
from incidents.forms import ContactChoiceField

from .choices import OpenAs


class TriageOpenForm(forms.Form):
    organization = forms.ModelChoiceField(queryset=None, label=_("Organisation"), empty_label=_("— choose —"))
    contact = ContactChoiceField(queryset=None, required=False, label=_("Contact"),
                                 empty_label=_("— sender not listed —"))
    open_as = forms.ChoiceField(label=_("Open as"), choices=OpenAs.choices, initial=OpenAs.REQUEST)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: dict[str, Any] = self.fields
        fields["organization"].queryset = organization_list(user=user).filter(is_active=True)
        org_id = self.data.get("organization") if self.is_bound else None
        contacts = contact_list(user=user).filter(is_active=True)
        fields["contact"].queryset = (contacts.filter(organization_id=int(org_id))
                                      if org_id and str(org_id).isdigit() else contacts.none())
        fields["contact"].widget.attrs.update({
            "hx-get": reverse("accounts:contact_options"), "hx-trigger": "change from:#id_organization",
            "hx-include": "#id_organization", "hx-swap": "innerHTML",
        })


class TriageDiscardForm(forms.Form):
    note = forms.CharField(label=_("Why (optional)"), max_length=300, required=False)
