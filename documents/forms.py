"""Forms of the library pages. They only shape input: the services decide what is allowed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from accounts.selectors import organization_list
from cmdb.models import CI
from cmdb.selectors import ci_list

from .choices import DocumentCategory


class CIChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} · {obj.serial}" if obj.serial else obj.name


class DocumentForm(forms.Form):
    """File a new document (optionally with its first file) or edit its details."""

    title = forms.CharField(label=_("Title"), max_length=200)
    category = forms.ChoiceField(label=_("Category"), choices=DocumentCategory.choices)
    organization = forms.ModelChoiceField(label=_("Organisation"), queryset=None)  # type: ignore[arg-type]
    cis = CIChoiceField(label=_("Configuration items"), queryset=CI.objects.none(), required=False,
                        help_text=_("The devices or systems this document describes; a change on one of them makes "
                                    "a new version due."))
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    file = forms.FileField(label=_("File (version 1)"), required=False)
    note = forms.CharField(label=_("Version note"), required=False, max_length=5000)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: Any, organization_id: int | None = None, editing: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organization_list(user=user).order_by("name")  # type: ignore[attr-defined]
        org = self.data.get("organization") if self.is_bound else organization_id
        cis = ci_list(user=user).order_by("name", "id")
        self.fields["cis"].queryset = (  # type: ignore[attr-defined]
            cis.filter(organization_id=int(org)) if str(org or "").isdigit() else cis.none())
        self.fields["organization"].widget.attrs.update({
            "hx-get": reverse_lazy("documents:ci_options"), "hx-target": "#id_cis", "hx-trigger": "change", "hx-swap": "innerHTML",
        })
        if editing:
            for name in ("organization", "file", "note"):
                del self.fields[name]


class VersionForm(forms.Form):
    file = forms.FileField(label=_("File"))
    note = forms.CharField(label=_("What changed"), required=False, max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ArchiveForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=2000)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class WriteForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
