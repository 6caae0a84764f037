"""The inbox a person can live with: unread badge in the navigation (capped, one cheap query),
grouping by ticket, filters, mark one ticket's / the ticked / all read (others' refused)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.models import Notification
from notifications.selectors import notification_unread_badge

pytestmark = [pytest.mark.django_db]


def make(user, n, *, subject="INC-000001", level="II", event="escalation", now=None, read=False):
    from django.utils import timezone

    now = now or timezone.now()
    Notification.objects.bulk_create([
        Notification(user=user, event=event, title=f"{subject} message {i}", subject=subject, fault_level=level,
                     link="/incidents/1/", created_at=now - timedelta(minutes=i), read_at=now if read else None)
        for i in range(n)
    ])


def test_badge_caps_at_99_with_one_query(engineer):
    make(engineer, 150)
    with CaptureQueriesContext(connection) as ctx:
        assert notification_unread_badge(user=engineer) == "99+"
    assert len(ctx.captured_queries) == 1
    Notification.objects.filter(user=engineer).update(read_at="2026-01-01T00:00:00Z")
    assert notification_unread_badge(user=engineer) == ""


def test_badge_in_navigation_costs_one_query(client, engineer):
    client.force_login(engineer)
    client.get("/notifications/preferences/")  # warm the session and caches
    with CaptureQueriesContext(connection) as before:
        client.get("/notifications/preferences/")
    make(engineer, 3)
    with CaptureQueriesContext(connection) as after:
        page = client.get("/notifications/preferences/").content.decode()
    assert 'id="inbox-badge"' in page and ">3</span>" in page
    assert len(after.captured_queries) == len(before.captured_queries)  # the badge query runs either way, once


def test_grouped_by_ticket_and_mark_one_tickets_read(client, engineer, other_engineer):
    make(engineer, 4, subject="INC-000001")
    make(engineer, 2, subject="INC-000002", level="I")
    make(other_engineer, 5, subject="INC-000003")
    client.force_login(engineer)
    page = client.get("/notifications/?view=ticket").content.decode()
    assert "INC-000001" in page and "INC-000002" in page and "INC-000003" not in page
    assert page.count('class="notification unread"') == 2  # two groups, not six rows
    client.post("/notifications/read-all/", {"subject": "INC-000001"})
    assert Notification.objects.filter(user=engineer, read_at__isnull=True).count() == 2
    assert Notification.objects.filter(user=other_engineer, read_at__isnull=True).count() == 5


def test_filters_kind_level_unread(client, engineer):
    make(engineer, 2, subject="INC-000001", level="I", event="sla.breach")
    make(engineer, 2, subject="INC-000002", level="III", event="escalation", read=True)
    client.force_login(engineer)
    assert client.get("/notifications/?fault_level=I").content.decode().count("INC-000001 message") == 2
    page = client.get("/notifications/?event=escalation").content.decode()
    assert "INC-000002 message" in page and "INC-000001 message" not in page
    page = client.get("/notifications/?unread=true").content.decode()
    assert "INC-000001 message" in page and "INC-000002 message" not in page
    assert client.get("/notifications/?fault_level=IX").status_code == 200  # a message, not a 500


def test_bulk_mark_read_refuses_others_per_item(client, engineer, other_engineer):
    make(engineer, 2)
    make(other_engineer, 1)
    mine = list(Notification.objects.filter(user=engineer).values_list("pk", flat=True))
    theirs = Notification.objects.get(user=other_engineer).pk
    client.force_login(engineer)
    response = client.post("/notifications/read-selected/", {"ids": [*mine, theirs, "x"]})
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('class="bulk-done"') == 2 and page.count('class="bulk-refused"') == 1
    assert not Notification.objects.filter(pk__in=mine, read_at__isnull=True).exists()
    assert Notification.objects.get(pk=theirs).read_at is None


def test_preferences_page_saves_and_refuses_half_quiet_hours(client, engineer):
    client.force_login(engineer)
    response = client.post("/notifications/preferences/", {
        "wanted_events": ["sla.breach"], "inapp": "on", "mode": "digest", "digest_minutes": "30",
        "quiet_start": "22:00", "quiet_end": "", "time_zone": "Asia/Shanghai"})
    assert response.status_code == 400
    response = client.post("/notifications/preferences/", {
        "wanted_events": ["sla.breach"], "inapp": "on", "mode": "digest", "digest_minutes": "30",
        "quiet_start": "22:00", "quiet_end": "07:00", "time_zone": "Asia/Shanghai"})
    assert response.status_code == 302
    pref = engineer.notification_preference
    assert pref.mode == "digest" and pref.email is False and "escalation" in pref.muted_events
    assert "sla.breach" not in pref.muted_events
