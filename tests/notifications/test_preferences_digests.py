"""Per-person preferences (events, channels, digest, quiet hours; level I never muted) and the
digest sweep (one digest per person per period, even when two beats run it; the recipient's
language and time zone)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from django.core import mail

from notifications.choices import DeliveryMode, DeliveryStatus
from notifications.models import Delivery, Notification, NotificationPreference
from notifications.services import digests_send, notification_emit, preference_decision, preference_save

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.notifications.urls")]

# 2025-12-05 15:00 UTC = 23:00 in Shanghai (in the past: the send task runs at the real now).
LATE_EVENING = datetime(2025, 12, 5, 15, 0, tzinfo=UTC)
MORNING = datetime(2025, 12, 6, 0, 30, tzinfo=UTC)  # 08:30 in Shanghai


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    """The digest sweep with its after-commit sends run, as on a real beat."""
    def run(now):
        with django_capture_on_commit_callbacks(execute=True):
            return digests_send(now=now)
    return run


@pytest.fixture
def rules(make_rule, inapp_channel, email_channel):
    make_rule(event="escalation", channels=[inapp_channel, email_channel], recipients=["target"])
    make_rule(event="sla.warning", channels=[inapp_channel, email_channel], recipients=["target"])


def emit(user, *, event="escalation", level="II", key="k1", now=LATE_EVENING, number="INC-000001"):
    return notification_emit(event=event, fault_level=level, organization_id=None, dedup_key=key, now=now,
                             context={"title": f"{event} {number} {key}", "number": number,
                                      "link": "/incidents/1/", "target_user_ids": [user.pk]})


def quiet(user, **extra):
    return preference_save(user=user, data={"quiet_start": time(22, 0), "quiet_end": time(7, 0),
                                            "time_zone": "Asia/Shanghai", **extra})


def test_quiet_hours_hold_email_but_never_level_one(rules, engineer):
    engineer.email = "eng@example.com"
    engineer.save()
    quiet(engineer)
    emit(engineer, level="III", key="low")
    emit(engineer, level="I", key="urgent")
    low = Delivery.objects.get(dedup_key="low", channel__kind="email")
    urgent = Delivery.objects.get(dedup_key="urgent", channel__kind="email")
    assert low.status == DeliveryStatus.HELD
    assert urgent.status == DeliveryStatus.QUEUED  # level I goes out at once, quiet hours or not
    assert urgent.next_attempt_at == LATE_EVENING
    # The inbox is silent: both messages are there at once.
    assert Notification.objects.filter(user=engineer).count() == 2


def test_muted_event_and_switched_off_channel_skip_but_level_one_arrives(rules, engineer):
    engineer.email = "eng@example.com"
    engineer.save()
    preference_save(user=engineer, data={"muted_events": ["sla.warning"], "email": False})
    emit(engineer, event="sla.warning", level="II", key="w")
    emit(engineer, event="escalation", level="II", key="e")
    emit(engineer, event="sla.warning", level="I", key="w1")
    kinds = set(Delivery.objects.filter(user=engineer).values_list("dedup_key", "channel__kind"))
    assert ("w", "inapp") not in kinds and ("w", "email") not in kinds  # muted event
    assert ("e", "inapp") in kinds and ("e", "email") not in kinds  # e-mail switched off
    assert {("w1", "inapp"), ("w1", "email")} <= kinds  # level I ignores both


def test_decision_quiet_hours_span_midnight_in_the_persons_zone(engineer):
    pref = NotificationPreference(user=engineer, quiet_start=time(22, 0), quiet_end=time(7, 0),
                                  time_zone="Asia/Shanghai")
    args = {"event": "escalation", "channel_kind": "email"}
    assert preference_decision(pref, fault_level="II", now=LATE_EVENING, **args) == "hold"
    assert preference_decision(pref, fault_level="II", now=MORNING, **args) == "send"
    assert preference_decision(pref, fault_level="I", now=LATE_EVENING, **args) == "send"
    pref.time_zone = "UTC"  # 15:00 UTC is not quiet on a UTC clock
    assert preference_decision(pref, fault_level="II", now=LATE_EVENING, **args) == "send"


def test_preferences_validate(engineer):
    with pytest.raises(Exception) as exc:
        preference_save(user=engineer, data={"quiet_start": time(22, 0), "muted_events": ["nope"],
                                             "time_zone": "Mars/Olympus"})
    errors = exc.value.message_dict
    assert {"quiet_end", "muted_events", "time_zone"} <= set(errors)


def test_digest_once_per_period_in_recipients_zone_even_with_two_beats(rules, engineer, settings, sweep):
    settings.LANGUAGE_CODE = "zh-hans"
    engineer.email = "eng@example.com"
    engineer.save()
    preference_save(user=engineer, data={"mode": DeliveryMode.DIGEST, "digest_minutes": 60,
                                         "time_zone": "Asia/Shanghai"})
    start = datetime(2025, 12, 6, 2, 5, tzinfo=UTC)  # 10:05 Shanghai
    for i in range(3):
        emit(engineer, key=f"d{i}", now=start + timedelta(minutes=10 * i), level="II")
    assert Delivery.objects.filter(status=DeliveryStatus.HELD).count() == 3
    # Inside the period nothing goes out yet.
    assert sweep(start + timedelta(minutes=30)).digests == 0
    # Two beats in the next period: one digest.
    after = datetime(2025, 12, 6, 3, 1, tzinfo=UTC)
    first = sweep(after)
    second = sweep(after + timedelta(seconds=5))
    assert (first.digests, first.merged, second.digests) == (1, 3, 0)
    digest = Delivery.objects.get(event="digest")
    assert Delivery.objects.filter(merged_into=digest).count() == 3
    assert len(mail.outbox) == 1
    assert "条通知" in mail.outbox[0].subject  # the recipient's language
    assert "10:05" in mail.outbox[0].body and "10:25" in mail.outbox[0].body  # Shanghai wall clock
    # A later message waits for its own period.
    emit(engineer, key="d9", now=after + timedelta(minutes=1))
    assert sweep(after + timedelta(minutes=2)).digests == 0
    assert sweep(after + timedelta(minutes=60)).digests == 1
    assert len(mail.outbox) == 2


def test_held_by_quiet_hours_go_out_when_they_end(rules, engineer, sweep):
    engineer.email = "eng@example.com"
    engineer.save()
    quiet(engineer)
    emit(engineer, key="q1", level="II")
    emit(engineer, key="q2", level="III", now=LATE_EVENING + timedelta(minutes=5))
    assert sweep(LATE_EVENING + timedelta(hours=2)).digests == 0  # 01:00: still quiet
    assert mail.outbox == []
    summary = sweep(MORNING)
    assert (summary.digests, summary.merged) == (1, 2)
    assert sweep(MORNING + timedelta(seconds=30)).digests == 0
    assert len(mail.outbox) == 1
