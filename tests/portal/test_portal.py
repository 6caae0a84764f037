"""The customer portal: own organisation only, public items only, reporting, confirming,
rejecting, withdrawing, complaining and rating."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from incidents.models import Incident
from incidents.services import incident_transition
from quality.models import SatisfactionRating
from tickets.models import Attachment, ServiceRequest
from tickets.services import request_create, request_transition, ticket_comment_add, ticket_worklog_add

pytestmark = pytest.mark.django_db


def test_staff_and_anonymous_do_not_get_the_portal(client, engineer, manager):
    url = reverse("portal:home")
    assert client.get(url).status_code == 302  # to the login page
    for user in (engineer, manager):
        client.force_login(user)
        assert client.get(url).status_code == 404


def test_home_lists_only_own_organisation(client, customer_a, org_a, org_b, make_incident, operator, now):
    mine = make_incident(organization=org_a, title="Printer jam on floor 2")
    theirs = make_incident(organization=org_b, title="Bravo secret outage")
    request_create(actor=operator, organization=org_b, title="Bravo secret request", request_type="complaint",
                   now=now)
    client.force_login(customer_a)
    body = client.get(reverse("portal:home")).content.decode()
    assert mine.number in body and "Printer jam" in body
    assert theirs.number not in body and "Bravo secret" not in body
    assert client.get(reverse("portal:incident", args=[theirs.pk])).status_code == 404


def test_detail_shows_public_items_only(client, customer_a, org_a, make_incident, operator, engineer, now):
    inc = make_incident(organization=org_a, status="in_progress", assignee=engineer)
    ticket_comment_add(ticket=inc, author=operator, body="We are on our way", public=True, now=now)
    ticket_comment_add(ticket=inc, author=operator, body="Customer is difficult", public=False, now=now)
    ticket_worklog_add(ticket=inc, author=engineer, minutes=30, note="Swapped PSU secretly", work_date=None, now=now)
    client.force_login(customer_a)
    response = client.get(reverse("portal:incident", args=[inc.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "We are on our way" in body
    assert "Customer is difficult" not in body and "Swapped PSU secretly" not in body
    assert engineer.display_name in body and engineer.email not in body and engineer.username not in body
    # SLA targets with due times are shown
    assert "Service targets" in body


def test_report_fault_with_screenshot(client, customer_a, contact_user_a, ci_a, ci_b):
    client.force_login(customer_a)
    url = reverse("portal:report_fault")
    page = client.get(url).content.decode()
    assert ci_a.name in page and ci_b.name not in page
    shot = SimpleUploadedFile("screen.png", b"\x89PNG fake", content_type="image/png")
    response = client.post(url, {"ci": ci_a.pk, "title": "Screen is black", "description": "Since 9:00",
                                 "urgency": "high", "impact": "low", "files": [shot]})
    inc = Incident.objects.get(title="Screen is black")
    assert response.status_code == 302 and response["Location"] == reverse("portal:incident", args=[inc.pk])
    assert inc.channel == "portal" and inc.organization_id == customer_a.organization_id
    assert inc.contact_id == contact_user_a.pk and inc.ci_id == ci_a.pk
    assert Attachment.objects.filter(ticket_kind="incident", ticket_id=inc.pk, public=True).count() == 1


def test_report_fault_rejects_foreign_ci_and_empty_title(client, customer_a, ci_b):
    client.force_login(customer_a)
    response = client.post(reverse("portal:report_fault"), {"ci": ci_b.pk, "title": "", "urgency": "high",
                                                            "impact": "low"})
    assert response.status_code == 400
    assert not Incident.objects.exists()
    form = response.context["form"]
    assert "ci" in form.errors and "title" in form.errors


def test_confirm_and_reject_resolution(client, customer_a, org_a, make_incident):
    inc = make_incident(organization=org_a, status="resolved")
    client.force_login(customer_a)
    action = reverse("portal:incident_action", args=[inc.pk])
    # rejecting needs a reason
    client.post(action, {"action": "reopen", "version": inc.version, "reason": ""})
    inc.refresh_from_db()
    assert inc.status == "resolved"
    client.post(action, {"action": "reopen", "version": inc.version, "reason": "Still flickers"})
    inc.refresh_from_db()
    assert inc.status == "in_progress" and inc.reopen_count == 1

    other = make_incident(organization=org_a, status="resolved")
    response = client.post(reverse("portal:incident_action", args=[other.pk]),
                           {"action": "observe", "version": other.version})
    other.refresh_from_db()
    assert response.status_code == 302 and other.status == "observing"
    # a staff-only action is not offered through the portal
    assert client.post(reverse("portal:incident_action", args=[other.pk]),
                       {"action": "close", "version": other.version}).status_code == 404


def test_stale_version_is_refused(client, customer_a, org_a, make_incident):
    inc = make_incident(organization=org_a, status="resolved")
    client.force_login(customer_a)
    response = client.post(reverse("portal:incident_action", args=[inc.pk]),
                           {"action": "observe", "version": inc.version - 1}, follow=True)
    inc.refresh_from_db()
    assert inc.status == "resolved"
    assert "changed this ticket meanwhile" in response.content.decode()


def test_comment_and_attachment(client, customer_a, org_a, make_incident):
    inc = make_incident(organization=org_a)
    client.force_login(customer_a)
    client.post(reverse("portal:incident_add", args=[inc.pk, "comment"]), {"body": "Any news?"})
    client.post(reverse("portal:incident_add", args=[inc.pk, "attachment"]),
                {"files": [SimpleUploadedFile("log.txt", b"error 42")]})
    body = client.get(reverse("portal:incident", args=[inc.pk])).content.decode()
    assert "Any news?" in body and "log.txt" in body
    att = Attachment.objects.get(ticket_id=inc.pk, name="log.txt")
    download = client.get(reverse("portal:incident_attachment", args=[inc.pk, att.pk]))
    assert download.status_code == 200
    assert client.post(reverse("portal:incident_add", args=[inc.pk, "worklog"]), {}).status_code == 404


def test_withdraw_request(client, customer_a, org_a, operator, now):
    req = request_create(actor=operator, organization=org_a, title="New badge", request_type="service_request",
                         now=now)
    client.force_login(customer_a)
    client.post(reverse("portal:request_action", args=[req.pk]),
                {"action": "cancel", "version": req.version, "reason": "Not needed any more"})
    req.refresh_from_db()
    assert req.status == "cancelled" and req.cancel_reason == "Not needed any more"


def test_complaint_is_tracked_to_an_answer_and_rated(client, customer_a, org_a, supervisor, manager, now):
    client.force_login(customer_a)
    response = client.post(reverse("portal:request_new") + "?type=complaint",
                           {"request_type": "complaint", "title": "Engineer came late", "description": "Twice"})
    req = ServiceRequest.objects.get(title="Engineer came late")
    assert response.status_code == 302 and req.request_type == "complaint" and req.channel == "portal"
    client.force_login(supervisor)
    page = client.get(reverse("quality:complaints")).content.decode()
    assert req.number in page
    for action, payload in (("assign", {"assignee": manager.pk}), ("accept", {}),
                            ("resolve", {"resolution": "Apologised; schedule fixed"})):
        req = request_transition(request_id=req.pk, actor=manager, action=action, payload=payload, now=now)
    client.force_login(customer_a)
    client.post(reverse("portal:request_action", args=[req.pk]), {"action": "close", "version": req.version})
    req.refresh_from_db()
    assert req.status == "closed"
    client.post(reverse("portal:rate", args=["request", req.pk]), {"stars": 4, "comment": "ok"})
    assert SatisfactionRating.objects.get(ticket_kind="request", ticket_id=req.pk).stars == 4


def test_rating_once_and_only_when_closed(client, customer_a, customer_b, org_a, make_incident):
    open_inc = make_incident(organization=org_a)
    closed = make_incident(organization=org_a, status="closed")
    client.force_login(customer_a)
    client.post(reverse("portal:rate", args=["incident", open_inc.pk]), {"stars": 5})
    assert not SatisfactionRating.objects.exists()
    client.post(reverse("portal:rate", args=["incident", closed.pk]), {"stars": 5, "comment": "Great"})
    response = client.post(reverse("portal:rate", args=["incident", closed.pk]), {"stars": 1}, follow=True)
    assert "already been rated" in response.content.decode()
    rating = SatisfactionRating.objects.get()
    assert (rating.stars, rating.comment, rating.source) == (5, "Great", "portal")
    client.force_login(customer_b)
    assert client.post(reverse("portal:rate", args=["incident", closed.pk]), {"stars": 1}).status_code == 404
    assert client.post(reverse("portal:rate", args=["bogus", closed.pk]), {"stars": 1}).status_code == 404


def test_resolution_confirm_then_staff_close_shows_rating_form(client, customer_a, org_a, make_incident, manager, now):
    inc = make_incident(organization=org_a, status="observing")
    inc = incident_transition(incident_id=inc.pk, actor=manager, action="close", now=now)
    client.force_login(customer_a)
    body = client.get(reverse("portal:incident", args=[inc.pk])).content.decode()
    assert "How did we do?" in body
