"""The fault-handling analysis report (故障处理分析报告, form ST.FO05-96): pre-fill, edit, publish.

It builds on the incident's FaultReport (incidents/followups.py) instead of duplicating it: the
draft is pre-filled from the fault report's sections (or, without one, from the incident's
description, resolution and workaround) and adds what the customer's form asks for besides — impact,
restoration, the event timeline and the sign-off names. Publishing freezes a version: the content as
published (timeline included) and the PDF rendered from it, with who and when; the draft stays
editable and a later publication makes a new version, the old ones stay downloadable unchanged. The
first publication also submits the incident's fault report with the published text, which stops the
3-day report clock of the SLA engine — the report the customer received is the report that counts.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.choices import Role
from incidents.choices import IncidentStatus
from incidents.followups import fault_report_save, fault_report_submit
from incidents.models import FaultReport, FaultReportStatus, Incident, ProgressUpdate
from opsdesk.errors import ConflictError
from tickets.audit import event_record
from tickets.choices import EventAction, TicketKind
from tickets.models import TicketEvent
from tickets.services import ticket_lock

from .analysis_models import FaultAnalysis, FaultAnalysisVersion

# The sections of the form, in its order. The first four are the fault report's own sections.
SECTIONS: tuple[tuple[str, Any], ...] = (
    ("summary", gettext_lazy("Fault description")),
    ("impact", gettext_lazy("Impact")),
    ("cause", gettext_lazy("Cause analysis")),
    ("handling", gettext_lazy("Handling process")),
    ("restoration", gettext_lazy("Service restoration")),
    ("prevention", gettext_lazy("Preventive measures")),
)
SIGNOFF: tuple[tuple[str, Any], ...] = (
    ("prepared_by", gettext_lazy("Prepared by")),
    ("reviewed_by", gettext_lazy("Reviewed by")),
    ("customer_signatory", gettext_lazy("Confirmed by the customer")),
)
REQUIRED = ("summary", "cause", "handling", "prevention")
FIELDS = tuple(name for name, _label in SECTIONS + SIGNOFF)
MAX_TEXT = 20000
MAX_NAME = 100
# Who edits and publishes: the fault analyst (故障分析员) and those above them.
EDITOR_ROLES = frozenset({Role.ANALYST, Role.SUPERVISOR, Role.REGIONAL_LEAD, Role.MANAGER})

TIMELINE_LABELS: dict[str, Any] = {
    "reported": gettext_lazy("Fault reported"),
    "responded": gettext_lazy("Desk responded"),
    "onsite": gettext_lazy("Engineer on site"),
    "restored": gettext_lazy("Service restored"),
    "resolved": gettext_lazy("Fault resolved"),
    "closed": gettext_lazy("Closed after observation"),
    "progress": gettext_lazy("Progress update"),
    "escalated": gettext_lazy("Escalated"),
    "sla_breach": gettext_lazy("SLA target missed"),
}


def analysis_can_edit(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active
                and (user.is_superuser or user.role in EDITOR_ROLES))


def _editor_only(user: Any) -> None:
    if not analysis_can_edit(user):
        raise PermissionDenied


# --- content --------------------------------------------------------------------------------------

def analysis_prefill(*, incident: Incident) -> dict[str, str]:
    """A first draft: the fault report's sections when there is one, else what the incident says."""
    report = FaultReport.objects.filter(incident=incident).first()
    content = {name: "" for name in FIELDS}
    content.update({
        "summary": (report.summary if report and report.summary else incident.description or incident.title),
        "cause": report.cause if report else "",
        "handling": (report.handling if report and report.handling else incident.resolution),
        "restoration": incident.workaround,
        "prevention": report.prevention if report else "",
    })
    return {k: (v or "").strip() for k, v in content.items()}


def analysis_timeline(*, incident: Incident) -> list[dict[str, str]]:
    """The incident's story for the report: its milestones, progress updates, escalations and missed
    SLA targets, oldest first (a handful of rows per incident, read in three queries)."""
    rows: list[dict[str, str]] = []
    for kind, at in (("reported", incident.reported_at), ("responded", incident.responded_at),
                     ("onsite", incident.onsite_at), ("restored", incident.restored_at),
                     ("resolved", incident.resolved_at), ("closed", incident.closed_at)):
        if at is not None:
            rows.append({"at": at.isoformat(), "kind": kind, "text": ""})
    for at, body in ProgressUpdate.objects.filter(incident=incident).values_list("created_at", "body"):
        rows.append({"at": at.isoformat(), "kind": "progress", "text": body})
    for at, action, data in (TicketEvent.objects.filter(
            ticket_kind=TicketKind.INCIDENT, ticket_id=incident.pk,
            action__in=(EventAction.ESCALATED, EventAction.SLA_BREACH)).values_list("created_at", "action", "data")):
        if action == EventAction.ESCALATED:
            rows.append({"at": at.isoformat(), "kind": "escalated", "text": str(data.get("level", ""))})
        else:
            rows.append({"at": at.isoformat(), "kind": "sla_breach", "text": str(data.get("target", ""))})
    order = {"reported": 0, "responded": 1, "onsite": 2, "restored": 3, "resolved": 4, "closed": 5}
    rows.sort(key=lambda r: (r["at"], order.get(r["kind"], 9)))
    return rows


def _clean(data: dict[str, Any]) -> dict[str, str]:
    unknown = sorted(set(data) - set(FIELDS))
    errors: dict[str, list[str]] = {name: [_("This is not a field of the fault analysis report.")] for name in unknown}
    clean: dict[str, str] = {}
    for name in FIELDS:
        if name not in data:
            continue
        text = "" if data[name] is None else str(data[name]).strip()
        limit = MAX_NAME if name in dict(SIGNOFF) else MAX_TEXT
        if len(text) > limit:
            errors[name] = [_("Keep it under %(n)s characters.") % {"n": limit}]
        clean[name] = text
    if errors:
        raise ValidationError(errors)
    return clean


def _text_of(content: dict[str, Any]) -> dict[str, str]:
    return {name: str(content.get(name, "") or "") for name in FIELDS}


# --- writes ---------------------------------------------------------------------------------------

@transaction.atomic
def analysis_save(*, incident_id: int, actor: Any, data: dict[str, Any], version: int | None,
                  now: datetime) -> FaultAnalysis:
    """Create or edit the draft. `version` is the draft version the editor read (0 or None before the
    first save); a stale one raises ConflictError and changes nothing."""
    _editor_only(actor)
    clean = _clean(data)
    try:
        incident = ticket_lock(Incident, int(incident_id))
    except (Incident.DoesNotExist, TypeError, ValueError):
        raise Incident.DoesNotExist from None
    if incident.status == IncidentStatus.CANCELLED:
        raise ValidationError({"status": [_("A cancelled incident needs no fault analysis report.")]})
    analysis = FaultAnalysis.objects.select_for_update().filter(incident=incident).first()
    if analysis is None:
        if version not in (None, 0):
            raise ConflictError(current_version=0, message=_(
                "This fault analysis report has not been saved in that version. Reload the page."))
        content = {**analysis_prefill(incident=incident), **clean}
        analysis = FaultAnalysis.objects.create(incident=incident, content=content, created_by=actor,
                                                created_at=now, updated_by=actor, updated_at=now)
        changed = sorted(clean)
    else:
        if version is not None and int(version) != analysis.version:
            raise ConflictError(current_version=analysis.version, message=_(
                "Someone else saved this report first (now version %(version)s). Your text is kept: compare "
                "it with the current report and save again.") % {"version": analysis.version})
        current = _text_of(analysis.content)
        changed = sorted(k for k, v in clean.items() if current.get(k, "") != v)
        if not changed:
            return analysis
        analysis.content = {**current, **clean}
        analysis.version += 1
        analysis.updated_by, analysis.updated_at = actor, now
        analysis.save(update_fields=["content", "version", "updated_by", "updated_at"])
    event_record(ticket=incident, actor=actor, action=EventAction.REPORT, now=now,
                 data={"analysis": analysis.pk, "status": "draft", "sections": changed, "version": analysis.version})
    return analysis


def analysis_render(*, incident: Incident, content: dict[str, Any], language: str, now: datetime,
                    version_number: int | None, published_by: str = "") -> bytes:
    """The PDF of `content` for `incident` through the fault_analysis report kind."""
    from .pdf import render_pdf
    from .registry import ReportInput, kind_get

    kind = kind_get("fault_analysis")
    options = {"content": content, "version_number": version_number, "published_by": published_by}
    inp = ReportInput(organization=incident.organization, start=None, end=None, period_label=incident.number,
                      now=now, incident=incident, options=options)
    return render_pdf(template=kind.template, context=kind.build(inp), language=language)


def analysis_publish(*, incident_id: int, actor: Any, version: int | None, now: datetime,
                     language: str | None = None) -> FaultAnalysisVersion:
    """Freeze the current draft as the next published version (content + PDF, who, when).

    The PDF is rendered before the incident row is locked (WeasyPrint takes a second or two); the
    lock then re-checks that the draft did not change meanwhile, so what is stored is exactly what
    was rendered."""
    _editor_only(actor)
    language = language or settings.LANGUAGE_CODE
    analysis = FaultAnalysis.objects.select_related("incident", "incident__organization").filter(
        incident_id=incident_id).first()
    if analysis is None:
        raise ValidationError({"summary": [_("Save the report before publishing it.")]})
    if version is not None and int(version) != analysis.version:
        raise ConflictError(current_version=analysis.version)
    incident = analysis.incident
    if incident.resolved_at is None or incident.status == IncidentStatus.CANCELLED:
        raise ValidationError({"status": [_("The fault analysis report is published after the incident is resolved.")]})
    text = _text_of(analysis.content)
    missing = [name for name in REQUIRED if not text[name].strip()]
    if missing:
        raise ValidationError({name: [_("Write this section before publishing.")] for name in missing})
    last = analysis.versions.order_by("-number").first()
    if last is not None and _text_of(last.content) == text:
        raise ValidationError({"version": [
            _("Nothing has changed since version %(number)s was published.") % {"number": last.number}]})
    number = analysis.published_count + 1
    snapshot = {**text, "timeline": analysis_timeline(incident=incident), "published_by": actor.display_name,
                "published_at": now.isoformat()}
    pdf = analysis_render(incident=incident, content=snapshot, language=language, now=now, version_number=number,
                          published_by=actor.display_name)
    digest = hashlib.sha256(pdf).hexdigest()
    with transaction.atomic():
        incident = ticket_lock(Incident, incident.pk)
        locked = FaultAnalysis.objects.select_for_update().get(pk=analysis.pk)
        if locked.version != analysis.version or locked.published_count + 1 != number:
            raise ConflictError(current_version=locked.version, message=_(
                "The report changed while it was being published. Review it and publish again."))
        published = FaultAnalysisVersion(analysis=locked, number=number, content=snapshot, language=language,
                                         sha256=digest, size=len(pdf), published_by=actor, published_at=now)
        published.pdf.save(f"v{number}.pdf", ContentFile(pdf), save=False)
        published.save(force_insert=True)
        locked.published_count = number
        locked.save(update_fields=["published_count"])
        event_record(ticket=incident, actor=actor, action=EventAction.PUBLISHED, now=now, public=True,
                     data={"analysis": locked.pk, "version": number, "sha256": digest})
        _fault_report_follow(incident=incident, actor=actor, text=text, now=now)
    return published


def _fault_report_follow(*, incident: Incident, actor: Any, text: dict[str, str], now: datetime) -> None:
    """The first publication is the fault report the customer receives: submit it (stops its clock).
    A report already submitted stays as it was (it is frozen too); later versions live here."""
    report = FaultReport.objects.filter(incident=incident).first()
    if report is not None and report.status == FaultReportStatus.SUBMITTED:
        return
    from incidents.followups import FAULT_REPORT_SECTIONS

    fault_report_save(incident_id=incident.pk, author=actor, version=None, now=now,
                      data={name: text[name] for name in FAULT_REPORT_SECTIONS})
    fault_report_submit(incident_id=incident.pk, author=actor, now=now)


# --- reads ----------------------------------------------------------------------------------------

def analysis_get(*, user: Any, incident: Incident) -> FaultAnalysis | None:
    """The draft of a visible incident, for staff; customers never see drafts."""
    if getattr(user, "is_customer", True) and not getattr(user, "is_superuser", False):
        return None
    visible = Incident.objects.visible_to(user).filter(pk=incident.pk).values("pk")
    return FaultAnalysis.objects.filter(incident__in=visible).select_related("updated_by").first()


def analysis_version_list(*, user: Any, incident: Incident) -> QuerySet[FaultAnalysisVersion]:
    """Published versions of a visible incident's report, newest first (customers see these)."""
    visible = Incident.objects.visible_to(user).filter(pk=incident.pk).values("pk")
    return (FaultAnalysisVersion.objects.filter(analysis__incident__in=visible)
            .select_related("published_by").order_by("-number"))


def analysis_version_get(*, user: Any, pk: Any) -> FaultAnalysisVersion:
    from django.http import Http404

    try:
        return (FaultAnalysisVersion.objects
                .filter(analysis__incident__in=Incident.objects.visible_to(user).values("pk"))
                .select_related("analysis__incident", "published_by").get(pk=int(pk)))
    except (FaultAnalysisVersion.DoesNotExist, TypeError, ValueError, OverflowError):
        raise Http404 from None


def analysis_current_content(*, incident: Incident) -> tuple[dict[str, Any], int | None]:
    """What a generated fault-analysis report shows: the latest published version (and its number),
    else the draft, else the pre-fill — with the live timeline when not published."""
    analysis = FaultAnalysis.objects.filter(incident=incident).first()
    if analysis is not None:
        last = analysis.versions.order_by("-number").first()
        if last is not None:
            return last.content, last.number
        content: dict[str, Any] = _text_of(analysis.content)
    else:
        content = analysis_prefill(incident=incident)
    return {**content, "timeline": analysis_timeline(incident=incident)}, None


def analysis_version_verify(version: FaultAnalysisVersion) -> bool:
    """Whether the stored PDF still has the SHA-256 recorded when it was published."""
    with version.pdf.open("rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest() == version.sha256
