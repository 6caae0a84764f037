"""Call-backs (回访): deterministic sampling, the queue, recording, follow-up flags, the API."""

from __future__ import annotations

import pytest
from django.urls import reverse

from quality.models import Callback, CallbackSampling
from quality.selectors import SAMPLE_MULTIPLIER, callback_is_sampled, callback_queue
from quality.services import callback_record

pytestmark = pytest.mark.django_db


def test_sampling_is_deterministic_and_exact_per_hundred():
    for percent in (0, 20, 35, 100):
        picked = [i for i in range(1000, 1100) if (i * SAMPLE_MULTIPLIER) % 100 < percent]
        assert len(picked) == percent
    assert all(callback_is_sampled(incident_id=i, fault_level="I") for i in range(1, 200))
    CallbackSampling.objects.create(fault_level="IV", percent=0)
    assert not any(callback_is_sampled(incident_id=i, fault_level="IV") for i in range(1, 200))


def test_queue_takes_all_major_and_a_sample_of_minor(supervisor, org_a, make_incident):
    major = [make_incident(organization=org_a, status="closed", impact="high", urgency="medium") for _ in range(3)]
    minor = [make_incident(organization=org_a, status="closed", impact="low", urgency="low") for _ in range(10)]
    make_incident(organization=org_a, status="resolved", impact="high", urgency="high")  # not closed: not queued
    assert {i.fault_level for i in major} == {"II"} and {i.fault_level for i in minor} == {"IV"}
    queued = set(callback_queue(user=supervisor).values_list("pk", flat=True))
    assert {i.pk for i in major} <= queued
    expected_minor = {i.pk for i in minor if callback_is_sampled(incident_id=i.pk, fault_level="IV")}
    assert queued - {i.pk for i in major} == expected_minor
    CallbackSampling.objects.create(fault_level="IV", percent=100)
    assert {i.pk for i in minor} <= set(callback_queue(user=supervisor).values_list("pk", flat=True))


def test_record_no_answer_keeps_it_queued_then_reached_removes_it(supervisor, org_a, make_incident, now):
    inc = make_incident(organization=org_a, status="closed", impact="high", urgency="high")
    callback_record(incident_id=inc.pk, actor=supervisor, outcome="no_answer", now=now)
    assert callback_queue(user=supervisor).filter(pk=inc.pk).exists()
    cb = callback_record(incident_id=inc.pk, actor=supervisor, outcome="reached", satisfaction=2,
                         notes="Waited too long", now=now)
    assert (cb.attempts, cb.follow_up, cb.satisfaction) == (2, True, 2)
    assert not callback_queue(user=supervisor).filter(pk=inc.pk).exists()
    with pytest.raises(Exception, match="already been called back"):
        callback_record(incident_id=inc.pk, actor=supervisor, outcome="reached", satisfaction=5, now=now)


def test_record_validates(supervisor, engineer, org_a, make_incident, now):
    from django.core.exceptions import PermissionDenied, ValidationError

    inc = make_incident(organization=org_a, status="closed")
    with pytest.raises(ValidationError) as err:
        callback_record(incident_id=inc.pk, actor=supervisor, outcome="reached", now=now)
    assert "satisfaction" in err.value.message_dict
    with pytest.raises(ValidationError):
        callback_record(incident_id=inc.pk, actor=supervisor, outcome="reached", satisfaction=9, now=now)
    with pytest.raises(ValidationError):
        callback_record(incident_id=inc.pk, actor=supervisor, outcome="bogus", now=now)
    with pytest.raises(PermissionDenied):
        callback_record(incident_id=inc.pk, actor=engineer, outcome="no_answer", now=now)


def test_staff_page(client, supervisor, engineer, customer_a, org_a, make_incident):
    inc = make_incident(organization=org_a, status="closed", impact="high", urgency="high")
    client.force_login(supervisor)
    assert inc.number in client.get(reverse("quality:callbacks")).content.decode()
    response = client.post(reverse("quality:callback_add", args=[inc.pk]),
                           {"outcome": "reached", "satisfaction": "1", "notes": "Angry"})
    assert response.status_code == 302
    assert Callback.objects.get(incident=inc).follow_up is True
    page = client.get(reverse("quality:callbacks")).content.decode()
    assert "Angry" in page  # in the follow-up list
    for user in (engineer, customer_a):
        client.force_login(user)
        assert client.get(reverse("quality:callbacks")).status_code == 404


def test_api_queue_and_record(api_as, supervisor, customer_a, org_a, make_incident):
    inc = make_incident(organization=org_a, status="closed", impact="high", urgency="high")
    api = api_as(supervisor)
    queue = api.get("/api/v1/quality/callbacks/queue/").json()
    assert [row["number"] for row in queue["results"]] == [inc.number]
    created = api.post("/api/v1/quality/callbacks/", {"incident": inc.pk, "outcome": "reached", "satisfaction": 5})
    assert created.status_code == 201 and created.json()["follow_up"] is False
    assert api.post("/api/v1/quality/callbacks/", {"incident": inc.pk, "outcome": "reached",
                                                   "satisfaction": 9}).status_code == 400
    assert api.post("/api/v1/quality/callbacks/", {"incident": 999999, "outcome": "no_answer"}).status_code == 404
    assert api.get("/api/v1/quality/callbacks/").json()["results"][0]["incident_number"] == inc.number
    customer = api_as(customer_a)
    assert customer.get("/api/v1/quality/callbacks/queue/").status_code == 404


def test_follow_up_is_closed_with_what_was_done(client, supervisor, engineer, org_a, make_incident, now):
    from django.core.exceptions import ValidationError

    from quality.selectors import callback_list
    from quality.services import callback_follow_up_close

    inc = make_incident(organization=org_a, status="closed", fault_level="I", level_reason="test")
    cb = callback_record(incident_id=inc.pk, actor=supervisor, outcome="reached", satisfaction=1, now=now)
    assert list(callback_list(user=supervisor, follow_up=True)) == [cb]
    with pytest.raises(ValidationError):
        callback_follow_up_close(callback_id=cb.pk, actor=supervisor, note=" ", now=now)
    client.force_login(engineer)  # not quality staff
    assert client.post(reverse("quality:follow_up_close", args=[cb.pk]), {"note": "x"}).status_code == 404
    client.force_login(supervisor)
    done = client.post(reverse("quality:follow_up_close", args=[cb.pk]), {"note": "Visited, replaced camera"})
    assert done.status_code == 302
    cb.refresh_from_db()
    assert cb.follow_up and cb.follow_up_done_by == supervisor and cb.follow_up_note == "Visited, replaced camera"
    assert list(callback_list(user=supervisor, follow_up=True)) == []
    with pytest.raises(ValidationError):
        callback_follow_up_close(callback_id=cb.pk, actor=supervisor, note="again", now=now)
