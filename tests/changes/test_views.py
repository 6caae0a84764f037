"""Staff pages (list, create with the questionnaire, detail, transitions, CAB queue, incident and
CI panels) and the customer portal's change approvals, rendered through the real views."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from changes.models import Change, CustomerApproval
from tests.factories import CIFactory

pytestmark = pytest.mark.django_db


def local_input(value):
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def test_raise_a_change_through_the_form(client, engineer, org_a, approver_contact, now):
    ci = CIFactory(organization=org_a, name="edge-router-a")
    client.force_login(engineer)
    page = client.get(reverse("changes:create"), {"organization": org_a.pk})
    assert page.status_code == 200 and "edge-router-a" in page.content.decode()
    start = now + timedelta(days=3)
    data = {
        "organization": org_a.pk, "type": "normal", "title": "Replace router", "reason": "EOL",
        "cis": [ci.pk], "contact": approver_contact.pk, "planned_start": local_input(start),
        "planned_end": local_input(start + timedelta(hours=2)), "implementation_plan": "Swap it",
        "backout_plan": "Swap back", "risk_service_impact": "all", "risk_outage": "long", "risk_experience": "never",
        "risk_backout": "hard", "risk_tested": "no",
    }
    response = client.post(reverse("changes:create"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    change = Change.objects.get(title="Replace router")
    assert change.risk == "high" and change.risk_score == 16 and list(change.cis.all()) == [ci]
    partial = client.post(reverse("changes:create"), {**data, "risk_tested": ""})
    assert partial.status_code == 400 and "Was it tested beforehand?" in partial.content.decode()


def test_detail_shows_plans_conflicts_and_only_allowed_buttons(client, make_change, engineer, manager):
    change = make_change(status="submitted")
    client.force_login(engineer)
    page = client.get(reverse("changes:detail", args=[change.pk])).content.decode()
    assert change.backout_plan in page and 'data-action="assess"' not in page
    client.force_login(manager)
    page = client.get(reverse("changes:detail", args=[change.pk])).content.decode()
    assert 'data-action="assess"' in page and 'data-action="cancel"' in page
    response = client.post(reverse("changes:transition", args=[change.pk]),
                           {"action": "assess", "assess-version": change.version})
    assert response.status_code == 302
    change.refresh_from_db()
    assert change.status == "assessed"


def test_transition_errors_are_shown_not_500(client, make_change, manager):
    change = make_change(status="approved", start=timezone.now() - timedelta(hours=5))
    client.force_login(manager)
    response = client.post(reverse("changes:transition", args=[change.pk]),
                           {"action": "schedule", "schedule-version": change.version})
    assert response.status_code == 400 and "already passed" in response.content.decode()
    assert client.post(reverse("changes:transition", args=[change.pk]), {"action": "nope"}).status_code == 400


def test_cab_member_votes_from_the_queue(client, make_change, lead):
    change = make_change(status="cab_approval")
    client.force_login(lead)
    assert change.number in client.get(reverse("changes:cab_queue")).content.decode()
    client.post(reverse("changes:transition", args=[change.pk]),
                {"action": "approve", "approve-version": change.version, "approve-comment": "fine by me"})
    assert change.number not in client.get(reverse("changes:cab_queue")).content.decode()
    assert "fine by me" in client.get(reverse("changes:detail", args=[change.pk])).content.decode()


def test_incident_and_ci_panels(client, make_change, make_incident, manager, org_a, engineer, now):
    from changes.services import change_incident_link

    ci = CIFactory(organization=org_a)
    change = make_change(cis=[ci])
    incident = make_incident(organization=org_a)
    change_incident_link(change_id=change.pk, incident=incident, actor=engineer, now=now)
    client.force_login(manager)
    assert change.number in client.get(reverse("changes:incident_panel", args=[incident.pk])).content.decode()
    assert change.number in client.get(reverse("changes:ci_panel", args=[ci.pk])).content.decode()
    link = client.post(reverse("changes:incident_link", args=[change.pk]), {"incident": "INC-NOPE", "relation":
                                                                             "caused_by"})
    assert link.status_code == 400


def test_staff_pages_are_404_for_customers(client, make_change, approver_a):
    change = make_change()
    client.force_login(approver_a)
    assert client.get(reverse("changes:detail", args=[change.pk])).status_code == 404
    assert client.get(reverse("changes:list")).status_code == 404


def test_portal_approval_journey(client, make_change, approver_a):
    change = make_change(status="customer_approval")
    client.force_login(approver_a)
    listing = client.get(reverse("portal:changes")).content.decode()
    assert change.number in listing
    page = client.get(reverse("portal:change", args=[change.pk])).content.decode()
    assert change.backout_plan in page and "Do you approve this change?" in page
    refused = client.post(reverse("portal:change_decide", args=[change.pk]), {"decision": "reject", "comment": ""})
    assert refused.status_code == 400
    response = client.post(reverse("portal:change_decide", args=[change.pk]),
                           {"decision": "approve", "comment": "Go ahead", "version": change.version})
    assert response.status_code == 302
    change.refresh_from_db()
    assert change.status == "approved"
    history = client.get(reverse("portal:changes")).content.decode()
    assert "Go ahead" in history
    assert CustomerApproval.objects.of_change(change).get().decided_via == "portal"


def test_portal_hides_other_organisations(client, make_change, org_b, customer_b):
    change = make_change(status="customer_approval")
    client.force_login(customer_b)
    assert client.get(reverse("portal:change", args=[change.pk])).status_code == 404
    assert client.post(reverse("portal:change_decide", args=[change.pk]), {"decision": "approve"}).status_code == 404
    assert change.number not in client.get(reverse("portal:changes")).content.decode()


def test_scheduling_with_a_warning_says_so(client, make_change, manager):
    from changes.models import FreezeWindow

    change = make_change(status="approved")
    FreezeWindow.objects.create(name="Marathon day", start=change.planned_start, end=change.planned_end,
                                blocking=False)
    client.force_login(manager)
    response = client.post(reverse("changes:transition", args=[change.pk]),
                           {"action": "schedule", "schedule-version": change.version}, follow=True)
    assert "Marathon day" in response.content.decode()
    change.refresh_from_db()
    assert change.status == "scheduled"


def test_change_panels_of_higher_apps_are_loaded_by_htmx(client, make_change, manager, settings):
    settings.CHANGE_PANELS = ["changes:detail"]  # any URL name taking the change's pk
    change = make_change()
    client.force_login(manager)
    page = client.get(reverse("changes:detail", args=[change.pk])).content.decode()
    assert f'hx-get="{reverse("changes:detail", args=[change.pk])}"' in page
