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
from django.utils.translation import gettext_noop

from notifications.messages import msg
from opsdesk.errors import ConflictError, TransitionNotAllowed
from tickets.audit import event_record
from tickets.choices import CallOutcome, EventAction
from tickets.models import CallRecord
from tickets.services import call_record_create, ticket_lock
from tickets.transitions import ACTOR_SYSTEM, SystemActor

from .checklist import observation_outstanding as observation_outstanding
from .choices import IncidentStatus
from .models import Incident, ObservationCheck, ObservationItem
from .services import incident_transition
from .sla import notify, system_actor

RECURRENCE_STATUSES = (IncidentStatus.RESOLVED, IncidentStatus.OBSERVING)


def observation_checklist(*, incident: Incident) -> list[tuple[ObservationItem, ObservationCheck | None]]:
    """Every active checklist item with this incident's latest result for it (two queries)."""
    checks = {c.item_id: c for c in ObservationCheck.objects.filter(incident=incident).select_related("checked_by")}
    return [(item, checks.get(item.pk)) for item in ObservationItem.objects.filter(is_active=True)]


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
    incident = ticket_lock(Incident, incident_id)
    call = call_record_create(operator=operator, received_at=now, caller_phone=phone,
                              outcome=CallOutcome.ANSWERED, contact=contact, organization=incident.organization,
                              ticket=incident, note=note, now=now)
    reopened = incident.status in RECURRENCE_STATUSES
    if reopened:
        incident_recurrence(incident_id=incident.pk, actor=operator, now=now)
    return call, reopened


def incident_recurrence(*, incident_id: int, actor: Any, now: datetime) -> Incident:
    """The fault came back during observation (or after resolution): reopen with reason
    "recurrence". Raises TransitionNotAllowed when the incident is not resolved or observing."""
    return incident_transition(incident_id=incident_id, actor=actor, action="reopen",
                               payload={"reason": "recurrence"}, now=now)


def observation_close_ended(*, now: datetime, batch: int) -> int:
    """Observation periods that ended without recurrence close the incident (as the system user);
    run by the SLA sweep (registered in IncidentsConfig.ready()). Returns how many it closed."""
    ids = list(Incident.objects.filter(status=IncidentStatus.OBSERVING, observation_until__lte=now)
               .order_by("observation_until", "pk").values_list("pk", flat=True)[:batch])
    if not ids:
        return 0
    actor = SystemActor(actor_kind=ACTOR_SYSTEM, user=system_actor())
    closed = 0
    for pk in ids:
        try:
            with transaction.atomic():
                incident = incident_transition(incident_id=pk, actor=actor, action="close", now=now,
                                               payload={"reason": "observation_ended"})
                notify(incident, event="observation.closed", dedup_key=f"inc:{pk}:observation-closed",
                       title=msg(gettext_noop("%(number)s closed: the observation period ended"), number=incident.number),
                       body=incident.title)
        except (TransitionNotAllowed, ConflictError, Incident.DoesNotExist):
            continue  # closed, reopened or changed meanwhile: nothing to do
        closed += 1
    return closed
