"""The observation period after resolution (观察期): its checklist, and recurrence.

An incident is watched for the policy's observation days with a checklist (admin data, seeded
with the brief's Check List); a person may close it only once every item is OK, the sweep closes it
when the period ends without recurrence, and a call about the same fault reopens it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tickets.audit import event_record
from tickets.choices import CallOutcome, EventAction
from tickets.models import CallRecord
from tickets.services import call_record_create, ticket_lock

from .choices import IncidentStatus
from .models import Incident, ObservationCheck, ObservationItem

RECURRENCE_STATUSES = (IncidentStatus.RESOLVED, IncidentStatus.OBSERVING)


def observation_checklist(*, incident: Incident) -> list[tuple[ObservationItem, ObservationCheck | None]]:
    """Every active checklist item with this incident's latest result for it (two queries)."""
    checks = {c.item_id: c for c in ObservationCheck.objects.filter(incident=incident).select_related("checked_by")}
    return [(item, checks.get(item.pk)) for item in ObservationItem.objects.filter(is_active=True)]


def observation_outstanding(*, incident: Incident) -> int:
    """How many active checklist items are not yet OK for this incident (one query)."""
    return (ObservationItem.objects.filter(is_active=True)
            .exclude(pk__in=ObservationCheck.objects.filter(incident=incident, result=ObservationCheck.Result.OK)
                     .values("item_id"))
            .count())


@transaction.atomic
def observation_check_record(*, incident_id: int, item_id: int, actor: Any, result: str, note: str,
                             now: datetime) -> ObservationCheck:
    """Record (or update) one checklist result while the incident is being observed."""
    if actor.is_customer:
        raise PermissionDenied
    incident = ticket_lock(Incident, incident_id)
    if incident.status != IncidentStatus.OBSERVING:
        raise ValidationError({"item": [_("The checklist is filled in during the observation period.")]})
    if result not in ObservationCheck.Result.values:
        raise ValidationError({"result": [_("Choose OK or problem found.")]})
    item = ObservationItem.objects.filter(pk=item_id, is_active=True).first()
    if item is None:
        raise ValidationError({"item": [_("No such checklist item.")]})
    note = (note or "").strip()
    if result == ObservationCheck.Result.PROBLEM and not note:
        raise ValidationError({"note": [_("Say what the problem is.")]})
    check, _created = ObservationCheck.objects.update_or_create(
        incident=incident, item=item,
        defaults={"result": result, "note": note[:300], "checked_by": actor, "checked_at": now},
    )
    event_record(ticket=incident, actor=actor, action=EventAction.UPDATED, now=now, data={
        "observation_check": item.text, "result": result, "note": note,
    })
    return check


@transaction.atomic
def incident_call_link(*, incident_id: int, operator: Any, phone: str, contact: Any, note: str,
                       now: datetime) -> tuple[CallRecord, bool]:
    """A call about an existing incident: log it on that incident; if the incident was resolved or
    under observation, the fault has recurred, so it is reopened. Returns (call, reopened)."""
    from .sla import incident_recurrence  # the engine imports this package's services

    incident = ticket_lock(Incident, incident_id)
    call = call_record_create(operator=operator, received_at=now, caller_phone=phone,
                              outcome=CallOutcome.ANSWERED, contact=contact, organization=incident.organization,
                              ticket=incident, note=note, now=now)
    reopened = incident.status in RECURRENCE_STATUSES
    if reopened:
        incident_recurrence(incident_id=incident.pk, actor=operator, now=now)
    return call, reopened
