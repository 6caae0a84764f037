"""Per-channel rate limits counted in PostgreSQL: a burst beyond the limit is held back and merged
into one digest when the minute frees up; several workers together never overrun the limit."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection

from notifications.choices import DeliveryStatus, NotificationEvent
from notifications.models import Delivery, DeliveryAttempt
from notifications.services import deliveries_flush, delivery_send, notification_emit


def burst(now, count, *, assignee_id):
    created = []
    for i in range(count):
        created += notification_emit(
            event="sla.warning", fault_level="III", organization_id=None, dedup_key=f"inc:{i}:sla.warning:75",
            context={"title": f"INC-{i:04d} at 75% of restore", "assignee_id": assignee_id}, now=now,
        )
    return created


@pytest.mark.django_db
def test_burst_of_25_sends_20_and_merges_the_rest_into_one_digest(vendor, dingtalk_channel, make_rule, engineer,
                                                                  now, django_capture_on_commit_callbacks):
    make_rule(event="sla.warning", channels=[dingtalk_channel], recipients=["assignee"])
    with django_capture_on_commit_callbacks(execute=True):  # the send tasks run (eagerly) after commit
        created = burst(now, 25, assignee_id=engineer.pk)
    assert len(created) == 25

    window = DeliveryAttempt.objects.filter(channel=dingtalk_channel, at__gt=now - timedelta(seconds=60))
    assert window.count() == 20
    assert Delivery.objects.filter(status=DeliveryStatus.SENT).count() == 20
    assert Delivery.objects.filter(status=DeliveryStatus.QUEUED).count() == 5
    assert len(vendor.requests) == 20

    # still inside the same minute: the flush holds back
    deliveries_flush(now=now + timedelta(seconds=30))
    assert len(vendor.requests) == 20

    # the sends stamped their attempts with the real clock: on a loaded machine the burst can take
    # seconds, so the minute is over 61 s after the LAST attempt, not after `now`
    last_attempt = window.order_by("-at").values_list("at", flat=True)[0]
    summary = deliveries_flush(now=max(now, last_attempt) + timedelta(seconds=61))
    assert (summary.merged, summary.digests) == (5, 1)
    digest = Delivery.objects.get(event=NotificationEvent.DIGEST)
    assert digest.status == DeliveryStatus.SENT
    merged = Delivery.objects.filter(status=DeliveryStatus.MERGED)
    assert merged.count() == 5
    assert set(merged.values_list("merged_into", flat=True)) == {digest.pk}
    assert len(vendor.requests) == 21
    text = vendor.json_bodies()[-1]["markdown"]["text"]
    assert digest.payload["title"].startswith("5 ")
    for i in range(20, 25):
        assert f"INC-{i:04d}" in text
    # nothing left over, nothing sent twice
    deliveries_flush(now=now + timedelta(seconds=200))
    assert len(vendor.requests) == 21


@pytest.mark.django_db
def test_unlimited_channel_is_not_held_back(vendor, wecom_channel, make_rule, engineer, now,
                                            django_capture_on_commit_callbacks):
    wecom_channel.rate_limit_per_minute = 0
    wecom_channel.save()
    make_rule(event="sla.warning", channels=[wecom_channel], recipients=["assignee"])
    with django_capture_on_commit_callbacks(execute=True):
        burst(now, 25, assignee_id=engineer.pk)
    assert len(vendor.requests) == 25


@pytest.mark.django_db
def test_flush_sends_deliveries_whose_task_was_lost_and_reclaims_dead_workers(vendor, wecom_channel, make_rule,
                                                                              engineer, now):
    make_rule(event="sla.warning", channels=[wecom_channel], recipients=["assignee"])
    [lost] = burst(now, 1, assignee_id=engineer.pk)  # on_commit never ran: the task message was lost
    deliveries_flush(now=now + timedelta(seconds=1))
    lost.refresh_from_db()
    assert lost.status == DeliveryStatus.SENT

    [stuck] = notification_emit(event="sla.warning", fault_level=None, organization_id=None, dedup_key="stuck",
                                context={"title": "stuck", "assignee_id": engineer.pk}, now=now)
    Delivery.objects.filter(pk=stuck.pk).update(status=DeliveryStatus.SENDING, attempts=1,
                                                next_attempt_at=now + timedelta(minutes=10))
    deliveries_flush(now=now + timedelta(minutes=5))
    assert Delivery.objects.get(pk=stuck.pk).status == DeliveryStatus.SENDING
    deliveries_flush(now=now + timedelta(minutes=11))
    assert Delivery.objects.get(pk=stuck.pk).status == DeliveryStatus.SENT


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_respect_the_limit(vendor, dingtalk_channel, make_rule, engineer, now, monkeypatch):
    monkeypatch.setattr("notifications.services._queue_send", lambda delivery_id: None)  # the workers send
    make_rule(event="sla.warning", channels=[dingtalk_channel], recipients=["assignee"])
    created = burst(now, 25, assignee_id=engineer.pk)
    barrier = threading.Barrier(len(created))

    def worker(delivery_id):
        try:
            barrier.wait(timeout=10)
            delivery_send(delivery_id=delivery_id, now=now)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(created)) as pool:
        for future in [pool.submit(worker, d.pk) for d in created]:
            future.result()  # re-raises a worker's exception
    assert DeliveryAttempt.objects.filter(channel=dingtalk_channel).count() == 20
    assert Delivery.objects.filter(status=DeliveryStatus.SENT).count() == 20
    assert Delivery.objects.filter(status=DeliveryStatus.QUEUED).count() == 5
    assert len(vendor.requests) == 20
