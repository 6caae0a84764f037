"""Writes that follow an incident through its SLA life: hourly progress updates on major incidents,
the fault-handling analysis report (故障处理分析报告) after resolution, and spare-device loans.

Each service is atomic, locks the incident row (its event chain) and records a timeline event in the
same transaction; the SLA engine (incidents.sla) is told about progress updates and submitted reports
so their clocks restart or stop."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.dispatch import Signal
from django.utils.translation import gettext as _

from cmdb.choices import CIStatus
from cmdb.models import CI
from cmdb.services import ci_update
from opsdesk.errors import ConflictError
from tickets.audit import event_record
from tickets.choices import EventAction
from tickets.services import ticket_lock

from .choices import OPEN_STATUSES, IncidentStatus
from .models import FaultReport, FaultReportStatus, Incident, ProgressUpdate, SpareLoan
from .sla import incident_sla_on_progress, incident_sla_on_report

# The sections of the report form (ST.FO05-96); all are required before it is submitted.
FAULT_REPORT_SECTIONS: tuple[str, ...] = ("summary", "cause", "handling", "prevention")
MAX_TEXT = 20000


def _staff_only(user: Any) -> None:
    if user is None or getattr(user, "is_customer", True):
        raise PermissionDenied


def _lock(incident_id: int) -> Incident:
    try:
        return ticket_lock(Incident, int(incident_id))
    except (Incident.DoesNotExist, TypeError, ValueError):
        raise Incident.DoesNotExist from None


# --- Progress updates ---------------------------------------------------------------------

def progress_update_allowed(incident: Incident) -> bool:
    """Progress is reported while the service is still down: open and not yet restored."""
    return incident.status in OPEN_STATUSES and incident.restored_at is None


@transaction.atomic
def progress_update_add(*, incident_id: int, author: Any, body: str, now: datetime) -> ProgressUpdate:
    """Staff report progress; the customer sees it on the timeline, and the progress clock restarts."""
    _staff_only(author)
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": [_("Say what has been done and what happens next.")]})
    if len(body) > MAX_TEXT:
        raise ValidationError({"body": [_("Keep it under %(n)s characters.") % {"n": MAX_TEXT}]})
    incident = _lock(incident_id)
    if not progress_update_allowed(incident):
        raise ValidationError({"body": [
            _("Progress updates are recorded until service is restored; this incident is past that point.")]})
    update = ProgressUpdate.objects.create(incident=incident, author=author, body=body, created_at=now)
    event_record(ticket=incident, actor=author, action=EventAction.PROGRESS, now=now, public=True,
                 data={"progress": update.pk, "body": body})
    incident_sla_on_progress(incident=incident, now=now)
    return update


# --- Fault report -------------------------------------------------------------------------

def _report_clean(data: dict[str, Any]) -> dict[str, str]:
    unknown = sorted(set(data) - set(FAULT_REPORT_SECTIONS))
    if unknown:
        raise ValidationError({name: [_("This is not a section of the fault report.")] for name in unknown})
    clean: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for name, value in data.items():
        text = "" if value is None else str(value).strip()
        if len(text) > MAX_TEXT:
            errors[name] = [_("Keep it under %(n)s characters.") % {"n": MAX_TEXT}]
        clean[name] = text
    if errors:
        raise ValidationError(errors)
    return clean


@transaction.atomic
def fault_report_save(*, incident_id: int, author: Any, data: dict[str, Any], version: int | None,
                      now: datetime) -> FaultReport:
    """Create or edit the draft report. `version` is the report version read (None on a first save);
    a stale one raises ConflictError and changes nothing."""
    _staff_only(author)
    clean = _report_clean(data)
    incident = _lock(incident_id)
    if incident.status == IncidentStatus.CANCELLED:
        raise ValidationError({"status": [_("A cancelled incident needs no fault report.")]})
    report = FaultReport.objects.select_for_update().filter(incident=incident).first()
    if report is None:
        if version not in (None, 0):
            raise ConflictError(current_version=0, message=_(
                "The fault report you edited no longer exists in that version. Reload the page."))
        report = FaultReport(incident=incident, author=author, created_at=now, **clean)
        report.save()
        changed = sorted(k for k, v in clean.items() if v)
    else:
        if version is not None and int(version) != report.version:
            raise ConflictError(current_version=report.version, message=_(
                "Someone else saved this fault report first (now version %(version)s). Your text is kept: "
                "compare it with the current report and save again.") % {"version": report.version})
        if report.status == FaultReportStatus.SUBMITTED:
            raise ValidationError({"status": [_("The report has been submitted and can no longer be changed.")]})
        changed = sorted(k for k, v in clean.items() if getattr(report, k) != v)
        if not changed:
            return report
        for name, value in clean.items():
            setattr(report, name, value)
        report.version += 1
        report.save()
    event_record(ticket=incident, actor=author, action=EventAction.REPORT, now=now,
                 data={"report": report.pk, "status": FaultReportStatus.DRAFT, "sections": changed,
                       "version": report.version})
    return report


@transaction.atomic
def fault_report_submit(*, incident_id: int, author: Any, now: datetime, version: int | None = None) -> FaultReport:
    """Submit the report: only after resolution, with every section written. Stops the report clock."""
    _staff_only(author)
    incident = _lock(incident_id)
    if incident.resolved_at is None or incident.status == IncidentStatus.CANCELLED:
        raise ValidationError({"status": [_("The fault report is submitted after the incident is resolved.")]})
    report = FaultReport.objects.select_for_update().filter(incident=incident).first()
    if report is None:
        raise ValidationError({name: [_("Write this section before submitting.")] for name in FAULT_REPORT_SECTIONS})
    if version is not None and int(version) != report.version:
        raise ConflictError(current_version=report.version)
    if report.status == FaultReportStatus.SUBMITTED:
        raise ValidationError({"status": [_("The report has already been submitted.")]})
    missing = [name for name in FAULT_REPORT_SECTIONS if not getattr(report, name).strip()]
    if missing:
        raise ValidationError({name: [_("Write this section before submitting.")] for name in missing})
    report.status = FaultReportStatus.SUBMITTED
    report.submitted_at = now
    report.version += 1
    report.save()
    event_record(ticket=incident, actor=author, action=EventAction.REPORT, now=now, public=True,
                 data={"report": report.pk, "status": FaultReportStatus.SUBMITTED, "version": report.version})
    incident_sla_on_report(incident=incident, now=now)
    return report


# --- Spare-device loans -------------------------------------------------------------------

# Sent inside spare_loan_return's transaction, after the loan row is stamped (kwargs: loan, actor,
# now). Higher apps put the device back where it came from (the spares store listens), so a return
# recorded anywhere (incident page, loans list, API) restocks in the same transaction.
spare_loan_returned = Signal()


@transaction.atomic
def spare_loan_create(*, incident_id: int, actor: Any, description: str, faulty_ci: CI | None,
                      standby_ci: CI | None, note: str, now: datetime,
                      due_back: datetime | None = None) -> SpareLoan:
    """Record a standby device lent while the faulty one is repaired."""
    _staff_only(actor)
    incident = _lock(incident_id)
    errors: dict[str, list[str]] = {}
    if incident.status in (IncidentStatus.CLOSED, IncidentStatus.CANCELLED):
        errors["incident"] = [_("Spare devices are lent for incidents that are not closed or cancelled.")]
    faulty_ci = faulty_ci or incident.ci
    if faulty_ci is not None and faulty_ci.organization_id != incident.organization_id:
        errors["faulty_ci"] = [_("This device belongs to another organisation.")]
    if standby_ci is not None and faulty_ci is not None and standby_ci.pk == faulty_ci.pk:
        errors["standby_ci"] = [_("The standby device must be another device than the faulty one.")]
    description = (description or "").strip() or (str(standby_ci) if standby_ci is not None else "")
    if not description:
        errors["description"] = [_("Describe the standby device (or choose it from the CMDB).")]
    elif len(description) > 200:
        errors["description"] = [_("Keep it under %(n)s characters.") % {"n": 200}]
    if due_back is not None and due_back <= now:
        errors["due_back"] = [_("The device is due back after it is lent.")]
    if errors:
        raise ValidationError(errors)
    loan = SpareLoan.objects.create(
        incident=incident, faulty_ci=faulty_ci, standby_ci=standby_ci, description=description, lent_at=now,
        lent_by=actor, note=(note or "").strip(), due_back=due_back,
    )
    if standby_ci is not None and standby_ci.status == CIStatus.STANDBY:
        # Out on loan: no longer available as a standby device (back on standby when returned).
        ci_update(ci_id=standby_ci.pk, actor=actor, changes={"status": CIStatus.IN_USE}, now=now)
    event_record(ticket=incident, actor=actor, action=EventAction.LOAN, now=now, public=True, data={
        "loan": loan.pk, "action": "lent", "description": description,
        "faulty_ci": faulty_ci.pk if faulty_ci else None, "standby_ci": standby_ci.pk if standby_ci else None,
    })
    return loan


@transaction.atomic
def spare_loan_return(*, loan_id: int, actor: Any, now: datetime) -> SpareLoan:
    """The standby device came back: the loan is closed (never deleted)."""
    _staff_only(actor)
    incident_id = SpareLoan.objects.filter(pk=loan_id).values_list("incident_id", flat=True).first()
    if incident_id is None:
        raise SpareLoan.DoesNotExist
    incident = _lock(incident_id)  # the incident first, then the loan: the order every writer uses
    loan = SpareLoan.objects.select_for_update().get(pk=loan_id)
    if loan.returned_at is not None:
        raise ValidationError({"returned_at": [_("This device was already returned.")]})
    loan.returned_at = now
    loan.save(update_fields=["returned_at"])
    if loan.standby_ci_id is not None:
        standby = CI.objects.select_for_update().get(pk=loan.standby_ci_id)
        if standby.status == CIStatus.IN_USE:  # lent from standby: available again
            ci_update(ci_id=standby.pk, actor=actor, changes={"status": CIStatus.STANDBY}, now=now)
    event_record(ticket=incident, actor=actor, action=EventAction.LOAN, now=now, public=True,
                 data={"loan": loan.pk, "action": "returned", "description": loan.description})
    spare_loan_returned.send(sender=SpareLoan, loan=loan, actor=actor, now=now)
    return loan
