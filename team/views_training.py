"""Training session pages (staff): the list, a new session, its attendance."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Organization
from accounts.views import staff_required
from documents.models import Document
from opsdesk.widgets import DATETIME_INPUT_FORMATS, IsoDateTimeLocalInput

from .choices import Attendance, Audience
from .models import TrainingSession
from .training import can_manage_training, training_attendance_record, training_create


class PersonField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


class TrainingForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    audience = forms.ChoiceField(label=gettext_lazy("Audience"), choices=Audience.choices)
    organization = forms.ModelChoiceField(label=gettext_lazy("Customer"), required=False,
                                          queryset=Organization.objects.filter(is_active=True).order_by("name"))
    starts_at = forms.DateTimeField(label=gettext_lazy("Starts at"), widget=IsoDateTimeLocalInput(),
                                    input_formats=DATETIME_INPUT_FORMATS)
    ends_at = forms.DateTimeField(label=gettext_lazy("Ends at"), widget=IsoDateTimeLocalInput(),
                                  input_formats=DATETIME_INPUT_FORMATS)
    location = forms.CharField(label=gettext_lazy("Place"), max_length=200, required=False)
    description = forms.CharField(label=gettext_lazy("What is covered"), required=False, max_length=5000,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    materials = forms.ModelMultipleChoiceField(label=gettext_lazy("Materials from the document library"),
                                               required=False, queryset=Document.objects.none())
    attendees = PersonField(label=gettext_lazy("Attendees with an account"), required=False,
                            queryset=get_user_model().objects.filter(is_active=True).order_by("name"))
    names = forms.CharField(label=gettext_lazy("Other attendees (one name a line)"), required=False, max_length=5000,
                            widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["materials"].queryset = Document.objects.order_by("title")


def _sessions() -> Any:
    return TrainingSession.objects.filter(is_active=True).select_related("organization", "trainer")


@require_GET
@staff_required
def training_list(request: HttpRequest) -> HttpResponse:
    sessions = list(_sessions()[:200])
    return render(request, "team/training_list.html", {"sessions": sessions,
                                                        "can_manage": can_manage_training(request.user)})


@require_http_methods(["GET", "POST"])
@staff_required
def training_new(request: HttpRequest) -> HttpResponse:
    if not can_manage_training(request.user):
        raise Http404
    form = TrainingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            session = training_create(actor=request.user, title=d["title"], audience=d["audience"],
                                      organization=d["organization"], starts_at=d["starts_at"], ends_at=d["ends_at"],
                                      location=d["location"], description=d["description"], trainer=request.user,
                                      materials=list(d["materials"]), attendees=list(d["attendees"]),
                                      names=(d["names"] or "").splitlines(), now=timezone.now())
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Training session saved."))
            return redirect("team:training_detail", session.pk)
    return render(request, "team/training_form.html", {"form": form}, status=400 if request.method == "POST" else 200)


@require_GET
@staff_required
def training_detail(request: HttpRequest, pk: int) -> HttpResponse:
    session = _sessions().filter(pk=pk).first()
    if session is None:
        raise Http404
    return render(request, "team/training_detail.html", {
        "session": session, "attendees": list(session.attendees.select_related("user")),
        "materials": list(session.materials.order_by("title")), "choices": Attendance.choices,
        "can_manage": can_manage_training(request.user)})


@require_POST
@staff_required
def training_attendance(request: HttpRequest, pk: int) -> HttpResponse:
    session = _sessions().filter(pk=pk).first()
    if session is None:
        raise Http404
    statuses: dict[int, str] = {}
    for key, value in request.POST.items():
        if key.startswith("a_") and key[2:].isdigit() and len(key) < 22:
            statuses[int(key[2:])] = value
    try:
        training_attendance_record(actor=request.user, session_id=session.pk, statuses=statuses, now=timezone.now())
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("team:training_detail", session.pk)
    messages.success(request, _("Attendance saved."))
    return redirect("team:training_detail", session.pk)
