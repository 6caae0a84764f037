"""Demo data of the quality app (settings.DEMO_SEEDERS): each demo complaint names an incident of
its organisation, as a customer would in the portal. Idempotent."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from incidents.models import Incident
from tickets.choices import RequestType
from tickets.models import ServiceRequest

from .models import ComplaintIncident
from .services import complaint_incident_link


def seed(*, now: Any, stdout: Any) -> None:
    actor = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
    if actor is None:
        return
    linked = 0
    complaints = ServiceRequest.objects.filter(request_type=RequestType.COMPLAINT).exclude(
        pk__in=ComplaintIncident.objects.values("complaint_id")).order_by("pk")
    for complaint in complaints:
        incident = (Incident.objects.filter(organization_id=complaint.organization_id, reported_at__lte=complaint.reported_at)
                    .order_by("-reported_at").first())
        if incident is not None:
            complaint_incident_link(actor=actor, complaint=complaint, incident_id=incident.pk, now=now)
            linked += 1
    stdout.write(f"quality: {linked} complaints name their incident")
