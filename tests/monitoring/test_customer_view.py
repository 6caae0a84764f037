"""Issue 13: an alert's raw labels and annotations (internal host names, addresses, runbook links)
never reach the customer. The incident's description is a short human summary; the raw alert is an
internal note (staff only) and stays on the alert record."""

from __future__ import annotations

import json

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from incidents.models import Incident
from reports.analysis import analysis_prefill
from reports.kinds._shared import incident_facts
from tickets.models import Comment

from .conftest import am_alert, am_payload

pytestmark = pytest.mark.django_db

SECRET_LABEL = "rack-b7-pdu-3-internal"
SECRET_ANNOTATION = "runbook-wiki-internal-9f3a"
SECRET_URL = "http://prometheus-internal.corp:9090/graph"


def _fire(post, estate) -> Incident:
    alert = am_alert("sw-1", rack=SECRET_LABEL)
    alert["annotations"]["description"] = f"see {SECRET_ANNOTATION} for the fix"
    alert["generatorURL"] = SECRET_URL
    response = post("alertmanager", am_payload(alert))
    assert response.status_code == 200, response.content
    return Incident.objects.get()


def _clean(text: str) -> None:
    for secret in (SECRET_LABEL, SECRET_ANNOTATION, SECRET_URL, "prometheus-internal"):
        assert secret not in text


def test_description_is_a_human_summary_in_the_organisations_time_zone(am_source, estate, post, org_a):
    org_a.time_zone = "Asia/Tokyo"
    org_a.save()
    incident = _fire(post, estate)
    _clean(incident.description)
    assert "DeviceDown" in incident.description
    assert "sw-1" in incident.description
    assert "critical" in incident.description
    # startsAt 10:00 +08:00 is 11:00 in Tokyo
    assert "2026-12-06 11:00 (Asia/Tokyo)" in incident.description
    note = Comment.objects.get(ticket_kind=incident.KIND, ticket_id=incident.pk)
    assert note.public is False
    assert SECRET_LABEL in note.body and SECRET_ANNOTATION in note.body and SECRET_URL in note.body


def test_customer_sees_no_raw_alert_anywhere(am_source, estate, post, customer_a, operator):
    mail.outbox.clear()
    incident = _fire(post, estate)
    browser = Client()
    browser.force_login(customer_a)
    pages = [f"/portal/incidents/{incident.pk}/", "/portal/"]
    for url in pages:
        response = browser.get(url)
        assert response.status_code == 200, url
        text = response.content.decode()
        assert incident.number in text or url == "/portal/"
        _clean(text)
    api = APIClient()
    api.force_authenticate(customer_a)
    for url in (f"/api/v1/incidents/{incident.pk}/", "/api/v1/incidents/", f"/api/v1/incidents/{incident.pk}/events/",
                f"/api/v1/incidents/{incident.pk}/comments/", f"/api/v1/incidents/{incident.pk}/progress/"):
        response = api.get(url)
        assert response.status_code == 200, (url, response.content[:300])
        _clean(json.dumps(response.json(), ensure_ascii=False))
    assert "DeviceDown" in api.get(f"/api/v1/incidents/{incident.pk}/").json()["description"]
    # Mails sent so far (to the customer's contacts or anyone) carry no raw alert either.
    for message in mail.outbox:
        _clean(message.subject + message.body + "".join(str(a[0]) for a in getattr(message, "alternatives", [])))
    # Reports printed for the customer: the incident facts and the fault analysis draft.
    facts = incident_facts(incident, timezone.now())
    _clean(json.dumps({k: v for k, v in facts.items() if isinstance(v, str)}, ensure_ascii=False))
    _clean(json.dumps(analysis_prefill(incident=incident), ensure_ascii=False))
    # Staff see the raw alert as an internal note.
    staff = APIClient()
    staff.force_authenticate(operator)
    comments = json.dumps(staff.get(f"/api/v1/incidents/{incident.pk}/comments/").json(), ensure_ascii=False)
    assert SECRET_LABEL in comments
