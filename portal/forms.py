"""Portal forms: they shape the customer's input; the services decide what is allowed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from cmdb.selectors import ci_list
from quality.choices import QuestionKind
from tickets.choices import RequestType

CUSTOMER_REQUEST_TYPES = [
    (RequestType.SERVICE_REQUEST, _("Service request")),
    (RequestType.CONSULTATION, _("Question / consultation")),
    (RequestType.TRAINING, _("User training")),
    (RequestType.COMPLAINT, _("Complaint")),
]
HOW_BAD = [
    ("high", _("Service is down")),
    ("medium", _("Service is degraded")),
    ("low", _("Annoying, but there is a workaround")),
]
HOW_WIDE = [
    ("low", _("One person or device")),
    ("medium", _("A group of users or devices")),
    ("high", _("A whole system or site")),
]
MAX_FILES = 5


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several screenshots in one input; each is checked like a single file."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*,.pdf,.txt,.log"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        files = [single(d, initial) for d in data] if isinstance(data, list | tuple) else [single(data, initial)]
        files = [f for f in files if f]
        if len(files) > MAX_FILES:
            raise forms.ValidationError(_("Attach at most %(n)s files.") % {"n": MAX_FILES})
        for f in files:
            if f.size > settings.ATTACHMENT_MAX_BYTES:
                raise forms.ValidationError(_("%(name)s is larger than %(mb)s MB.") % {
                    "name": f.name, "mb": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)})
        return files


class CIChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} · {obj.location}" if obj.location else obj.name


class FaultForm(forms.Form):
    ci = CIChoiceField(label=_("Device or system"), queryset=None, required=False,
                       empty_label=_("Not sure / not listed"))
    title = forms.CharField(label=_("What is wrong? (short)"), max_length=200)
    description = forms.CharField(label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
                                  help_text=_("Since when, what you see, what you already tried."))
    urgency = forms.ChoiceField(label=_("How bad is it?"), choices=HOW_BAD, initial="medium")
    impact = forms.ChoiceField(label=_("Who is affected?"), choices=HOW_WIDE, initial="low")
    files = MultipleFileField(label=_("Screenshots"), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["ci"]
        field.queryset = (ci_list(user=user).filter(organization_id=user.organization_id)
                          .order_by("name", "id"))


class IncidentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.number} · {obj.title}"


COMPLAINT_INCIDENT_CHOICES = 100


class RequestForm(forms.Form):
    request_type = forms.ChoiceField(label=_("What do you need?"), choices=CUSTOMER_REQUEST_TYPES)
    title = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    incident = IncidentChoiceField(
        label=_("About the fault (optional)"), required=False, queryset=None,
        help_text=_("For a complaint: the fault report it is about."))
    files = MultipleFileField(label=_("Attachments"), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from incidents.selectors import incident_base

        # Only the customer's own organisation's incidents (visible_to): another's id is "not a valid choice".
        recent = list(incident_base(user=user).order_by("-reported_at", "-id")
                      .values_list("pk", flat=True)[:COMPLAINT_INCIDENT_CHOICES])
        field: Any = self.fields["incident"]
        field.queryset = incident_base(user=user).filter(pk__in=recent).order_by("-reported_at", "-id")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("incident") and data.get("request_type") != RequestType.COMPLAINT:
            self.add_error("incident", _("Only a complaint names the fault it is about."))
        return data


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Add a comment"), widget=forms.Textarea(attrs={"rows": 3}))


class AttachmentForm(forms.Form):
    files = MultipleFileField(label=_("Attach files"))


class ActionForm(forms.Form):
    """Confirm / reject a resolution, withdraw a request: the action, its reason, and the version read."""

    action = forms.CharField(widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class RatingForm(forms.Form):
    stars = forms.TypedChoiceField(label=_("Your rating"), coerce=int, widget=forms.RadioSelect,
                                   choices=[(i, str(i)) for i in range(5, 0, -1)])
    comment = forms.CharField(label=_("Comment (optional)"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 3}))


class SurveyForm(forms.Form):
    """One field per question, named q<id> as the service expects."""

    def __init__(self, *args: Any, questions: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for q in questions:
            name = f"q{q.pk}"
            if q.kind == QuestionKind.RATING:
                self.fields[name] = forms.ChoiceField(
                    label=q.text, required=q.required, widget=forms.RadioSelect(attrs={"class": "stars-input"}),
                    choices=[(str(i), str(i)) for i in range(5, 0, -1)])
            elif q.kind == QuestionKind.CHOICE:
                self.fields[name] = forms.ChoiceField(label=q.text, required=q.required, widget=forms.RadioSelect,
                                                      choices=[(str(c), str(c)) for c in q.choices])
            else:
                self.fields[name] = forms.CharField(label=q.text, required=q.required, max_length=5000,
                                                    widget=forms.Textarea(attrs={"rows": 3}))
            self.fields[name].question_kind = q.kind  # type: ignore[attr-defined]
