"""Issue #12 item 9: a complaint can name the incident it is about — only one of its own
organisation (another's is refused like a wrong number), shown to the customer and to staff."""

from __future__ import annotations

import pytest
from django.urls import reverse

from quality.models import ComplaintIncident
from tickets.models import ServiceRequest

pytestmark = pytest.mark.django_db


def _post(client, **data):
    body = {"request_type": "complaint", "title": "Engineer came late", "description": "", **data}
    return client.post(reverse("portal:request_new") + "?type=complaint", body)


def test_complaint_names_its_incident(client, customer_a, org_a, make_incident, dispatcher):
    incident = make_incident(organization=org_a, title="Camera offline")
    client.force_login(customer_a)
    form = client.get(reverse("portal:request_new") + "?type=complaint").content.decode()
    assert incident.number in form
    response = _post(client, incident=incident.pk)
    assert response.status_code == 302, response.content.decode()[:2000]
    complaint = ServiceRequest.objects.get(title="Engineer came late")
    assert ComplaintIncident.objects.get(complaint=complaint).incident == incident
    page = client.get(response.url).content.decode()
    assert incident.number in page and reverse("portal:incident", args=[incident.pk]) in page
    client.force_login(dispatcher)
    staff = client.get(reverse("quality:complaints")).content.decode()
    assert incident.number in staff


def test_another_organisations_incident_is_refused(client, customer_a, org_b, make_incident):
    foreign = make_incident(organization=org_b, title="Their fault")
    client.force_login(customer_a)
    assert foreign.number not in client.get(reverse("portal:request_new") + "?type=complaint").content.decode()
    response = _post(client, incident=foreign.pk)
    assert response.status_code == 400
    assert not ServiceRequest.objects.filter(title="Engineer came late").exists()
    assert not ComplaintIncident.objects.exists()


def test_only_a_complaint_names_an_incident(client, customer_a, org_a, make_incident):
    incident = make_incident(organization=org_a)
    client.force_login(customer_a)
    assert _post(client, request_type="service_request", incident=incident.pk).status_code == 400
