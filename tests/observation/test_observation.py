"""Observation period: checklist gates a manual close, the system closes regardless, a call about a
resolved or observed incident reopens it as a recurrence."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from incidents.choices import SYSTEM_USERNAME
from incidents.models import ObservationItem
from incidents.observation import incident_call_link, observation_check_record, observation_outstanding
from incidents.selectors import incident_possible_duplicates
from incidents.services import incident_transition
from opsdesk.errors import TransitionNotAllowed
from tests.factories import UserFactory
from tickets.models import CallRecord, TicketEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def items():
    return [ObservationItem.objects.create(text=f"check {n}", position=n) for n in (1, 2)]


def test_manual_close_needs_every_check_ok(make_incident, org_a, supervisor, items, now):
    inc = make_incident(organization=org_a, status="observing")
    with pytest.raises(TransitionNotAllowed):
        incident_transition(incident_id=inc.pk, actor=supervisor, action="close", now=now)
    observation_check_record(incident_id=inc.pk, item_id=items[0].pk, actor=supervisor, result="ok", note="", now=now)
    assert observation_outstanding(incident=inc) == 1
    with pytest.raises(ValidationError):  # a problem needs a note
        observation_check_record(incident_id=inc.pk, item_id=items[1].pk, actor=supervisor, result="problem",
                                 note="", now=now)
    observation_check_record(incident_id=inc.pk, item_id=items[1].pk, actor=supervisor, result="problem",
                             note="image flickers again", now=now)
    with pytest.raises(TransitionNotAllowed):
        incident_transition(incident_id=inc.pk, actor=supervisor, action="close", now=now)
    observation_check_record(incident_id=inc.pk, item_id=items[1].pk, actor=supervisor, result="ok", note="", now=now)
    inc = incident_transition(incident_id=inc.pk, actor=supervisor, action="close", now=now)
    assert inc.status == "closed"
    recorded = TicketEvent.objects.filter(ticket_kind="incident", ticket_id=inc.pk, data__has_key="observation_check")
    assert recorded.count() == 3


def test_system_closes_whatever_the_checklist(make_incident, org_a, items, now):
    inc = make_incident(organization=org_a, status="observing")
    system = UserFactory(username=SYSTEM_USERNAME, role="manager")
    inc = incident_transition(incident_id=inc.pk, actor=system, action="close", now=now)
    assert inc.status == "closed"


def test_checklist_only_while_observing(make_incident, org_a, supervisor, items, now):
    inc = make_incident(organization=org_a, status="in_progress")
    with pytest.raises(ValidationError):
        observation_check_record(incident_id=inc.pk, item_id=items[0].pk, actor=supervisor, result="ok", note="",
                                 now=now)


@pytest.mark.parametrize("status, reopened", [("observing", True), ("resolved", True), ("in_progress", False)])
def test_call_about_incident_reopens_on_recurrence(make_incident, org_a, operator, status, reopened, now):
    inc = make_incident(organization=org_a, status=status)
    call, did_reopen = incident_call_link(incident_id=inc.pk, operator=operator, phone="13800001111", contact=None,
                                         note="again no picture", now=now)
    inc.refresh_from_db()
    assert did_reopen is reopened
    assert CallRecord.objects.filter(pk=call.pk, ticket_id=inc.pk).exists()
    assert (inc.status == "in_progress") if reopened else True
    if reopened:
        assert inc.reopen_count == 1
        last = TicketEvent.objects.filter(ticket_kind="incident", ticket_id=inc.pk).order_by("-seq").first()
        assert last.data.get("reason") == "recurrence"


def test_duplicates_panel_offers_observed_incidents(make_incident, org_a, ci_a, operator):
    observed = make_incident(organization=org_a, status="observing", ci=ci_a)
    closed = make_incident(organization=org_a, status="closed", ci=ci_a)
    found = incident_possible_duplicates(user=operator, organization_id=org_a.pk, ci_id=ci_a.pk)
    assert observed in found and closed not in found


def test_checklist_page_and_post(client, make_incident, org_a, supervisor, items):
    inc = make_incident(organization=org_a, status="observing")
    client.force_login(supervisor)
    page = client.get(reverse("incidents:detail", args=[inc.pk]))
    assert page.status_code == 200 and "check 1" in page.content.decode()
    bad = client.post(reverse("incidents:observation_check", args=[inc.pk, items[0].pk]), {"result": "problem"})
    assert bad.status_code == 400
    ok = client.post(reverse("incidents:observation_check", args=[inc.pk, items[0].pk]), {"result": "ok"})
    assert ok.status_code == 302
    assert observation_outstanding(incident=inc) == 1
