"""The in-app inbox: page and API, own notifications only."""

from __future__ import annotations

import pytest

from notifications.models import Notification
from notifications.services import notification_emit

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.notifications.urls")]


@pytest.fixture
def inbox(inapp_channel, make_rule, engineer, other_engineer, now):
    make_rule(event="escalation", channels=[inapp_channel], recipients=["target"])
    for i, user in enumerate([engineer, engineer, other_engineer]):
        notification_emit(event="escalation", fault_level="II", organization_id=None, dedup_key=f"esc:{i}",
                          context={"title": f"Escalated INC-{i}", "body": "Level 2", "link": f"/incidents/{i}/",
                                   "target_user_ids": [user.pk]}, now=now)
    return Notification.objects.filter(user=engineer).order_by("pk")


def test_inbox_page_requires_login(client):
    response = client.get("/notifications/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_inbox_page_shows_own_notifications_and_marks_read(client, engineer, inbox):
    client.force_login(engineer)
    page = client.get("/notifications/").content.decode()
    assert "Escalated INC-0" in page and "Escalated INC-1" in page
    assert "Escalated INC-2" not in page  # someone else's
    first = inbox[0]
    response = client.post(f"/notifications/{first.pk}/read/", {"open": "1"})
    assert response.status_code == 302 and response["Location"] == "/incidents/0/"
    first.refresh_from_db()
    assert first.read_at is not None
    assert "Escalated INC-1" in client.get("/notifications/?unread=1").content.decode()
    assert "Escalated INC-0" not in client.get("/notifications/?unread=1").content.decode()
    client.post("/notifications/read-all/")
    assert not Notification.objects.filter(user=engineer, read_at__isnull=True).exists()


def test_cannot_mark_someone_elses_notification(client, engineer, other_engineer, inbox):
    theirs = Notification.objects.get(user=other_engineer)
    client.force_login(engineer)
    assert client.post(f"/notifications/{theirs.pk}/read/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_api_inbox(api_as, engineer, other_engineer, inbox):
    client = api_as(engineer)
    data = client.get("/api/v1/me/notifications/").json()
    assert [n["title"] for n in data["results"]] == ["Escalated INC-1", "Escalated INC-0"]
    assert all(n["unread"] for n in data["results"])
    assert client.get("/api/v1/me/notifications/unread-count/").json() == {"unread": 2}
    first = inbox[0]
    response = client.post(f"/api/v1/me/notifications/{first.pk}/read/")
    assert response.status_code == 200 and response.json()["unread"] is False
    assert [n["title"] for n in client.get("/api/v1/me/notifications/?unread=true").json()["results"]] == [
        "Escalated INC-1"]
    theirs = Notification.objects.get(user=other_engineer)
    assert client.get(f"/api/v1/me/notifications/{theirs.pk}/").status_code == 404
    assert client.post(f"/api/v1/me/notifications/{theirs.pk}/read/").status_code == 404
    assert client.post("/api/v1/me/notifications/read-all/").json()["marked"] == 1
    assert client.get("/api/v1/me/notifications/abc/").status_code == 404


def test_api_rules_crud_for_managers(api_as, manager, engineer, inapp_channel):
    client = api_as(manager)
    response = client.post("/api/v1/notifications/rules/", {
        "name": "Major → leads", "event": "incident.major", "fault_levels": ["I"],
        "channels": [inapp_channel.pk], "recipients": ["role:regional_lead"],
    }, format="json")
    assert response.status_code == 201, response.content
    rule_id = response.json()["id"]
    bad = client.patch(f"/api/v1/notifications/rules/{rule_id}/", {"recipients": ["role:king"]}, format="json")
    assert bad.status_code == 400 and "recipients" in bad.json()
    assert client.patch(f"/api/v1/notifications/rules/{rule_id}/", {"is_active": False},
                        format="json").json()["is_active"] is False
    assert client.delete(f"/api/v1/notifications/rules/{rule_id}/").status_code == 405
    assert api_as(engineer).post("/api/v1/notifications/rules/", {}, format="json").status_code == 403
