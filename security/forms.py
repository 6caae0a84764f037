from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from opsdesk.widgets import DATETIME_INPUT_FORMATS, IsoDateInput, IsoDateTimeLocalInput

from .choices import ScanResult
from .parsers import MAX_UPLOAD_BYTES


def _active_orgs() -> forms.ModelChoiceField:  # type: ignore[type-arg]
    return forms.ModelChoiceField(label=_("Organisation"), queryset=Organization.objects.filter(is_active=True))


class ScanUploadForm(forms.Form):
    organization = _active_orgs()
    file = forms.FileField(label=_("Scanner export"),
                           help_text=_("OpenVAS / Greenbone XML report, Nessus .nessus or CSV, or a CSV with the "
                                       "columns CVE, CVSS, host, port, name, solution (at most 20 MB)."))
    full_scan = forms.BooleanField(
        label=_("Full scan of the organisation"), required=False,
        help_text=_("Open findings of this scanner at this organisation that the export does not list are marked "
                    "“not seen”; they stay open until someone confirms the fix."))

    def clean_file(self):  # type: ignore[no-untyped-def]
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than the limit of %(mb)s MB.")
                                        % {"mb": MAX_UPLOAD_BYTES // 2**20})
        return upload


class AVUploadForm(forms.Form):
    organization = _active_orgs()
    file = forms.FileField(label=_("Antivirus CSV"),
                           help_text=_("Columns: host (IP, host name or asset tag), product, signature date, "
                                       "last scan, result (clean, threats, failed)."))


class AVForm(forms.Form):
    product = forms.CharField(label=_("Antivirus product"), max_length=100)
    signature_date = forms.DateField(label=_("Signature date"), required=False, widget=IsoDateInput())
    last_scan_at = forms.DateTimeField(label=_("Last scan"), required=False, widget=IsoDateTimeLocalInput(),
                                       input_formats=DATETIME_INPUT_FORMATS)
    last_scan_result = forms.ChoiceField(label=_("Result"), choices=ScanResult.choices, initial=ScanResult.UNKNOWN)
    detail = forms.CharField(label=_("Detail"), max_length=500, required=False)


class DecisionForm(forms.Form):
    action = forms.ChoiceField(choices=[("fix", "fix"), ("accept", "accept"), ("false_positive", "false_positive"),
                                        ("reopen", "reopen")])
    reason = forms.CharField(label=_("Reason"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class AssignForm(forms.Form):
    ci = forms.IntegerField(label=_("CI id"), min_value=1)
