"""Pages of the fault-handling analysis report (ST.FO05-96): the analyst's editor, a draft preview PDF,
the published versions' downloads and the panel on the incident page. Thin: the form shapes input,
reports.analysis writes and reads."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from accounts.views import staff_required
from incidents.choices import IncidentStatus
from incidents.selectors import incident_get
from opsdesk.errors import ConflictError
from tickets.forms import form_add_service_errors

from .analysis import (
    MAX_NAME,
    MAX_TEXT,
    REQUIRED,
    SECTIONS,
    SIGNOFF,
    analysis_can_edit,
    analysis_get,
    analysis_prefill,
    analysis_publish,
    analysis_render,
    analysis_save,
    analysis_version_get,
    analysis_version_list,
)


class AnalysisForm(forms.Form):
    """The report's sections and sign-off names; `version` makes a concurrent save a conflict."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    language = forms.ChoiceField(label=gettext_lazy("Language of the published PDF"), choices=settings.LANGUAGES,
                                 required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label in SECTIONS:
            self.fields[name] = forms.CharField(
                label=label, required=False, max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 4}),
                help_text=gettext_lazy("Required before publishing.") if name in REQUIRED else "")
        for name, label in SIGNOFF:
            self.fields[name] = forms.CharField(label=label, required=False, max_length=MAX_NAME)
        self.order_fields(["version", *[n for n, _l in SECTIONS], *[n for n, _l in SIGNOFF], "language"])

    def content(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name) or "" for name, _label in SECTIONS + SIGNOFF}

    @property
    def section_fields(self) -> list[Any]:
        return [self[name] for name, _label in SECTIONS]

    @property
    def signoff_fields(self) -> list[Any]:
        return [self[name] for name, _label in SIGNOFF]


def _page(request: HttpRequest, incident: Any, *, form: AnalysisForm | None = None, status: int = 200,
          conflict: Any = None) -> HttpResponse:
    analysis = analysis_get(user=request.user, incident=incident)
    if form is None:
        content = analysis.content if analysis is not None else analysis_prefill(incident=incident)
        if analysis is None and not content.get("prepared_by"):
            content = {**content, "prepared_by": request.user.display_name}
        form = AnalysisForm(initial={"version": analysis.version if analysis else 0,
                                     "language": translation.get_language(), **content})
    return render(request, "reports/analysis/editor.html", {
        "incident": incident, "analysis": analysis, "form": form, "conflict": conflict,
        "versions": list(analysis_version_list(user=request.user, incident=incident)),
        "can_edit": analysis_can_edit(request.user) and incident.status != IncidentStatus.CANCELLED,
        "can_publish": incident.resolved_at is not None and incident.status != IncidentStatus.CANCELLED,
    }, status=status)


@require_http_methods(["GET", "POST"])
@staff_required
def analysis_editor(request: HttpRequest, incident_pk: int) -> HttpResponse:
    """GET: the draft (or the pre-fill before the first save). POST: save; with `publish`, save then
    freeze the draft as the next published version."""
    incident = incident_get(user=request.user, pk=incident_pk)
    if request.method == "GET":
        return _page(request, incident)
    if not analysis_can_edit(request.user):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied
    form = AnalysisForm(request.POST)
    if not form.is_valid():
        return _page(request, incident, form=form, status=400)
    now = timezone.now()
    try:
        analysis = analysis_save(incident_id=incident.pk, actor=request.user, data=form.content(),
                                 version=form.cleaned_data.get("version"), now=now)
        if "publish" in request.POST:
            version = analysis_publish(incident_id=incident.pk, actor=request.user, version=analysis.version,
                                       now=now, language=form.cleaned_data.get("language") or None)
            messages.success(request, _("Version %(n)s published; it is frozen and can be downloaded below.")
                             % {"n": version.number})
        else:
            messages.success(request, _("Draft saved."))
    except ConflictError as exc:
        current = analysis_get(user=request.user, incident=incident)
        data = request.POST.copy()
        data["version"] = str(exc.current_version)  # a second save applies the typed text on purpose
        retry = AnalysisForm(data)
        retry.is_valid()
        retry.add_error(None, exc.message)
        conflict = [(label, (current.content if current else {}).get(name, "")) for name, label in SECTIONS + SIGNOFF]
        return _page(request, incident, form=retry, status=409, conflict=conflict)
    except ValidationError as exc:
        form_add_service_errors(form, exc)
        return _page(request, incident, form=form, status=400)
    return redirect(reverse("reports:analysis_editor", args=[incident.pk]))


@require_GET
@staff_required
def analysis_preview(request: HttpRequest, incident_pk: int) -> HttpResponse:
    """The current draft as a PDF (marked DRAFT), in the page's language."""
    incident = incident_get(user=request.user, pk=incident_pk)
    analysis = analysis_get(user=request.user, incident=incident)
    from .analysis import analysis_timeline

    content = analysis.content if analysis is not None else analysis_prefill(incident=incident)
    pdf = analysis_render(incident=incident, content={**content, "timeline": analysis_timeline(incident=incident)},
                          language=translation.get_language() or settings.LANGUAGE_CODE, now=timezone.now(),
                          version_number=None)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{incident.number}-fault-analysis-draft.pdf"'
    return response


@require_GET
@login_required
def analysis_version_pdf(request: HttpRequest, analysis_version_pk: int) -> FileResponse:
    """A published version's PDF, byte for byte as published (customers: their organisation's only)."""
    version = analysis_version_get(user=request.user, pk=analysis_version_pk)
    handle = version.pdf.open("rb")
    name = f"{version.analysis.incident.number}-fault-analysis-v{version.number}.pdf"
    response = FileResponse(handle, content_type="application/pdf", as_attachment=True, filename=name)
    response["X-Content-SHA256"] = version.sha256
    return response


@require_GET
@staff_required
def analysis_panel(request: HttpRequest, incident_pk: int) -> HttpResponse:
    """The incident page's aside panel (settings.INCIDENT_PANELS): draft state, published versions."""
    incident = incident_get(user=request.user, pk=incident_pk)
    return render(request, "reports/analysis/panel.html", {
        "incident": incident, "analysis": analysis_get(user=request.user, incident=incident),
        "versions": list(analysis_version_list(user=request.user, incident=incident)[:5]),
        "show": incident.status != IncidentStatus.CANCELLED,
    })

