"""The observation checklist's count, below the workflow table whose `close` guard reads it."""

from __future__ import annotations

from .models import Incident, ObservationCheck, ObservationItem


def observation_outstanding(*, incident: Incident) -> int:
    """How many active checklist items are not yet OK for this incident (one query; none when the
    checklist was read with the incident for its page, incidents.selectors.incident_page_get)."""
    checklist = getattr(incident, "page_observation", None)
    if checklist is not None:
        return sum(1 for _item, check in checklist if check is None or check.result != ObservationCheck.Result.OK)
    return (ObservationItem.objects.filter(is_active=True)
            .exclude(pk__in=ObservationCheck.objects.filter(incident=incident, result=ObservationCheck.Result.OK)
                     .values("item_id"))
            .count())
