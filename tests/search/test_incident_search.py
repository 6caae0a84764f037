"""Incident search (list page and API `q`): a number or part of it, the caller's phone (the contact's
or one logged with a call), and words of the title/description — every word, any order. Pure Django
lookups, so the same on PostgreSQL and SQLite (tests/search/test_search_sqlite.py runs it there)."""

from __future__ import annotations

import pytest

from incidents.filtersets import incident_text_search, search_terms
from incidents.models import Incident
from tests.factories import ContactFactory
from tickets.choices import CallOutcome
from tickets.services import call_record_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def incidents(make_incident, org_a, operator, now):
    contact = ContactFactory(organization=org_a, name="李娜", phone="13912345678")
    camera = make_incident(organization=org_a, title="泵站摄像头07 离线", description="Video wall tile 7 is black",
                           contact=contact)
    printer = make_incident(organization=org_a, title="Printer jams on floor 3", description="paper tray")
    call_record_create(operator=operator, received_at=now, caller_phone="0571-88001234", outcome=CallOutcome.ANSWERED,
                       ticket=printer, now=now)
    return {"camera": camera, "printer": printer}


def found(value: str) -> set[int]:
    return set(incident_text_search(Incident.objects.all(), value).values_list("pk", flat=True))


def test_terms():
    assert search_terms("  camera   offline ") == ["camera", "offline"]
    assert len(search_terms("a " * 50)) == 8


def test_full_and_partial_number(incidents):
    camera = incidents["camera"]
    assert found(camera.number) == {camera.pk}
    assert found(camera.number.lower()) == {camera.pk}
    digits = camera.number.rsplit("-", 1)[1].lstrip("0")
    assert camera.pk in found(digits)
    assert found(camera.number[:-1] + "9999999") == set()


def test_caller_phone_of_contact_and_of_logged_call(incidents):
    assert found("13912345678") == {incidents["camera"].pk}
    assert found("12345678") == {incidents["camera"].pk}  # a part of the number
    assert found("88001234") == {incidents["printer"].pk}  # the call logged for the printer incident


def test_every_word_any_order(incidents):
    assert found("black video") == {incidents["camera"].pk}
    assert found("floor printer") == {incidents["printer"].pk}
    assert found("printer black") == set()
    assert found("摄像头 离线") == {incidents["camera"].pk}
    assert found("离线") == {incidents["camera"].pk}


def test_list_page_and_api_use_it(client_as, api_as, dispatcher, incidents):
    response = client_as(dispatcher).get("/incidents/", {"q": "13912345678"})
    assert response.status_code == 200
    html = response.content.decode()
    assert incidents["camera"].number in html and incidents["printer"].number not in html
    rows = api_as(dispatcher).get("/api/v1/incidents/", {"q": "floor printer"}).json()["results"]
    assert [row["id"] for row in rows] == [incidents["printer"].pk]
