"""The observation checklist's count, below the workflow table whose `close` guard reads it."""

from __future__ import annotations

from .models import Incident, ObservationCheck, ObservationItem


def observation_outstanding(*, incident: Incident) -> int:
    """How many active checklist items are not yet OK for this incident (one query)."""
    return (ObservationItem.objects.filter(is_active=True)
            .exclude(pk__in=ObservationCheck.objects.filter(incident=incident, result=ObservationCheck.Result.OK)
                     .values("item_id"))
            .count())
