"""The API (idempotent answers: 201 then 200; field errors 400; who may answer), the pages, the
record sheet PDF, the per-group iCal feed and the rounds on the change calendar."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from icalendar import Calendar

from accounts.choices import Role
from inspections.models import Answer, ChecklistItem, InspectionRound
from inspections.services import rounds_generate
from releases.feeds import feed_token
from releases.services import calendar_feed_key_ensure
from tests.factories import PASSWORD, CustomerFactory, UserFactory

from .test_rounds import PNG


@pytest.fixture
def ticket(make_plan, cameras, eng):
    plan = make_plan("monthly-system", cis=cameras[:2], assignee=eng)
    today = timezone.localdate()
    rounds_generate(now=timezone.now(), plan_ids=[plan.pk], until=date(today.year + 1, 12, 31))
    return InspectionRound.objects.filter(plan=plan).order_by("period_start").first()


def test_answer_api_is_idempotent_and_validates(ticket, cameras, eng, api_as, org):
    url = f"/api/v1/inspections/rounds/{ticket.pk}/answers/"
    reading = ChecklistItem.objects.get(template=ticket.plan.template, position=2)
    body = {"uuid": str(uuid.uuid4()), "ci": cameras[0].pk, "item": reading.pk, "reading": "35",
            "photo": SimpleUploadedFile("t.png", PNG, content_type="image/png")}
    client = api_as(eng)
    first = client.post(url, body, format="multipart")
    assert first.status_code == 201, first.content
    assert first.json()["finding"] and first.json()["incident_number"].startswith("INC-")
    body["photo"] = SimpleUploadedFile("t.png", PNG, content_type="image/png")
    again = client.post(url, body, format="multipart")
    assert again.status_code == 200 and again.json()["uuid"] == first.json()["uuid"]
    assert Answer.objects.filter(round=ticket).count() == 1
    bad = client.post(url, {"uuid": str(uuid.uuid4()), "ci": cameras[0].pk, "item": reading.pk, "reading": "hot"},
                      format="json")
    assert bad.status_code == 400 and "reading" in bad.json()
    outside = client.post(url, {"uuid": str(uuid.uuid4()), "ci": 999999, "item": reading.pk, "reading": "1"},
                          format="json")
    assert outside.status_code == 400 and "ci" in outside.json()
    assert client.post(url, {"uuid": "x"}, format="json").status_code == 400
    # A customer: the round does not exist. An operator: not their work (403).
    assert api_as(CustomerFactory(organization=org)).post(url, {}, format="json").status_code == 404
    operator = UserFactory(role=Role.OPERATOR)
    denied = api_as(operator).post(url, {"uuid": str(uuid.uuid4()), "ci": cameras[0].pk, "item": reading.pk,
                                         "reading": "20"}, format="json")
    assert denied.status_code == 403
    stats = api_as(eng).get("/api/v1/inspections/stats/", {"start": "2024-01-01", "end": "2030-12-31"})
    assert stats.status_code == 200 and stats.json()[0]["findings"] == 1
    assert api_as(eng).get("/api/v1/inspections/stats/", {"start": "soon"}).status_code == 400


def test_pages_and_record_sheet(client, ticket, eng, cameras, artifacts_dir):
    client.login(username="eng", password=PASSWORD)
    listing = client.get("/inspections/")
    assert listing.status_code == 200 and ticket.number in listing.content.decode()
    assert "/inspections/feed/" in listing.content.decode()  # the engineer's group feed
    detail = client.get(f"/inspections/rounds/{ticket.pk}/")
    assert detail.status_code == 200 and "CAM-00" in detail.content.decode()
    phone = client.get(f"/inspections/rounds/{ticket.pk}/do/")
    assert phone.status_code == 200 and b'id="round-data"' in phone.content
    assert client.get("/inspections/stats/").status_code == 200
    assert client.get("/inspections/plans/").status_code == 200
    sheet = client.get(f"/inspections/rounds/{ticket.pk}/sheet.pdf")
    assert sheet.status_code == 200 and sheet["Content-Type"] == "application/pdf"
    assert sheet.content.startswith(b"%PDF")
    (artifacts_dir / "inspection-sheet.pdf").write_bytes(sheet.content)
    sw = client.get("/inspections/sw.js")
    assert sw.status_code == 200 and sw["Service-Worker-Allowed"] == "/inspections/"


def test_group_ical_feed_and_change_calendar(client, ticket, eng, group):
    token = feed_token(calendar_feed_key_ensure(user=eng, now=timezone.now()))
    response = client.get(f"/inspections/feed/{group.pk}/{token}/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    events = [c for c in Calendar.from_ical(response.content).walk("VEVENT")]
    assert ticket.number in " ".join(str(e["summary"]) for e in events)
    assert client.get(f"/inspections/feed/{group.pk}/{token}x/").status_code == 404
    client.login(username="eng", password=PASSWORD)
    month = ticket.scheduled_for.strftime("%Y-%m")
    page = client.get("/releases/calendar/", {"date": month, "view": "list"})
    assert page.status_code == 200
    assert f'data-key="inspection-{ticket.pk}"' in page.content.decode()
