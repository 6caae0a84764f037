"""The iCal feed: valid RFC 5545 that parses back with the right events, for session users and
through personal signed URLs (tampered, revoked or inactive → 404), respecting tenancy."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from django.urls import reverse
from icalendar import Calendar

from releases.feeds import feed_token, feed_user
from releases.models import CalendarFeedKey
from releases.services import calendar_feed_key_ensure, calendar_feed_key_rotate

pytestmark = pytest.mark.django_db


@pytest.fixture
def feed_scene(make_change, make_release, freeze, org_a, org_b, ci_a, now):
    a1 = make_change(organization=org_a, title="Core switch firmware", start=now + timedelta(days=3),
                     end=now + timedelta(days=3, hours=2), cis=[ci_a])
    draft = make_change(organization=org_a, title="Draft idea", status="draft", start=now + timedelta(days=4))
    b1 = make_change(organization=org_b, title="Bravo oven firmware", start=now + timedelta(days=5))
    old = make_change(organization=org_a, title="Long ago", start=now - timedelta(days=200))
    release = make_release(organization=org_a, changes=[a1], start=now + timedelta(days=3))
    window = freeze(name="Spring Festival", start=now + timedelta(days=60), end=now + timedelta(days=67))
    return {"a1": a1, "draft": draft, "b1": b1, "old": old, "release": release, "freeze": window}


def parse(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.content)
    assert cal["VERSION"] == "2.0" and "PRODID" in cal
    return {str(e["UID"]).split("@")[0]: e for e in cal.walk("VEVENT")}


def test_session_feed_parses_back_with_the_events(client, operator, feed_scene):
    client.force_login(operator)
    events = parse(client.get(reverse("releases:calendar_ics")))
    a1, release, window = feed_scene["a1"], feed_scene["release"], feed_scene["freeze"]
    assert set(events) == {f"change-{a1.pk}", f"change-{feed_scene['draft'].pk}", f"change-{feed_scene['b1'].pk}",
                           f"release-{release.pk}", f"freeze-{window.pk}"}  # not the one 200 days ago
    event = events[f"change-{a1.pk}"]
    assert str(event["SUMMARY"]) == f"{a1.number} Core switch firmware"
    assert event.decoded("DTSTART") == a1.planned_start.astimezone(UTC).replace(microsecond=0)
    assert event.decoded("DTEND") == a1.planned_end.astimezone(UTC).replace(microsecond=0)
    assert str(event["STATUS"]) == "CONFIRMED" and int(event["SEQUENCE"]) == a1.version
    assert "core-switch-a" in str(event["DESCRIPTION"])
    assert str(events[f"change-{feed_scene['draft'].pk}"]["STATUS"]) == "TENTATIVE"
    frozen = events[f"freeze-{window.pk}"]
    assert "Spring Festival" in str(frozen["SUMMARY"]) and str(frozen["TRANSP"]) == "TRANSPARENT"
    assert release.number in str(events[f"release-{release.pk}"]["SUMMARY"])
    assert str(events[f"release-{release.pk}"]["URL"]).endswith(reverse("releases:detail", args=[release.pk]))


def test_feed_filters_by_organisation(client, operator, feed_scene, org_b):
    client.force_login(operator)
    events = parse(client.get(reverse("releases:calendar_ics"), {"organization": org_b.pk}))
    assert {k for k in events if k.startswith("change")} == {f"change-{feed_scene['b1'].pk}"}


def test_customers_get_their_organisation_only(client, customer_b, customer_a, feed_scene):
    client.force_login(customer_b)
    events = parse(client.get(reverse("releases:calendar_ics")))
    assert set(events) == {f"change-{feed_scene['b1'].pk}", f"freeze-{feed_scene['freeze'].pk}"}
    client.force_login(customer_a)
    events = parse(client.get(reverse("releases:calendar_ics")))
    assert f"change-{feed_scene['draft'].pk}" not in events and f"release-{feed_scene['release'].pk}" in events


def test_session_feed_needs_a_login(client, db):
    response = client.get(reverse("releases:calendar_ics"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_personal_url_works_without_a_session_and_can_be_revoked(client, operator, feed_scene, now):
    key = calendar_feed_key_ensure(user=operator, now=now)
    assert calendar_feed_key_ensure(user=operator, now=now).key == key.key  # stable until rotated
    url = reverse("releases:calendar_feed", args=[feed_token(key)])
    events = parse(client.get(url))
    assert f"change-{feed_scene['b1'].pk}" in events
    calendar_feed_key_rotate(user=operator, now=now)
    assert client.get(url).status_code == 404
    fresh = CalendarFeedKey.objects.get(user=operator)
    assert parse(client.get(reverse("releases:calendar_feed", args=[feed_token(fresh)])))
    operator.is_active = False
    operator.save()
    assert client.get(reverse("releases:calendar_feed", args=[feed_token(fresh)])).status_code == 404


def test_forged_and_foreign_tokens_are_refused(client, operator, customer_b, feed_scene, now):
    key = calendar_feed_key_ensure(user=operator, now=now)
    token = feed_token(key)
    assert feed_user(token) == operator
    value, _sep, signature = token.rpartition(":")
    for bad in (token[:-2] + "xx", f"{value}:AAAA", "5", "", "a:b:c"):
        assert feed_user(bad) is None
    from django.core import signing

    foreign = signing.Signer(salt="opsdesk.quality.rating-link").sign_object([operator.pk, key.key])
    assert feed_user(foreign) is None
    # A customer's token gives the customer's view, never more.
    own = calendar_feed_key_ensure(user=customer_b, now=now)
    events = parse(client.get(reverse("releases:calendar_feed", args=[feed_token(own)])))
    assert f"change-{feed_scene['a1'].pk}" not in events


def test_subscribe_page_shows_and_rotates_the_address(client, operator, now):
    client.force_login(operator)
    page = client.get(reverse("releases:calendar_subscribe")).content.decode()
    key = CalendarFeedKey.objects.get(user=operator)
    assert feed_token(key) in page and "webcal://" in page
    assert client.post(reverse("releases:calendar_subscribe")).status_code == 302
    assert CalendarFeedKey.objects.get(user=operator).key != key.key
