"""Payload shapes of each sender, through httpx.MockTransport (the only mock: the transport),
and vendor errors treated as failures with retries and a logged attempt each."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import parse_qs, unquote

import httpx
import pytest
from django.core import mail

from notifications.choices import DeliveryStatus
from notifications.models import Delivery, DeliveryAttempt
from notifications.services import deliveries_flush, delivery_send, notification_emit
from notifications.signing import aliyun_rpc_signature, dingtalk_sign, feishu_sign

from .conftest import DINGTALK_SECRET, FEISHU_SECRET, SMS_KEY_SECRET

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(django_user_model):
    from tests.factories import UserFactory

    return UserFactory(username="lead", role="regional_lead", phone="13900001111", email="lead@example.com")


def emit(now, *, key="inc:1:sla.breach", event="sla.breach", level="I", **context):
    context.setdefault("title", "INC-2026-000001 SLA breached: restore")
    context.setdefault("body", "Core switch down")
    context.setdefault("link", "/incidents/1/")
    return notification_emit(event=event, fault_level=level, organization_id=None, context=context,
                             dedup_key=key, now=now)


def test_wecom_markdown_payload(vendor, wecom_channel, make_rule, lead, now):
    make_rule(event="sla.breach", channels=[wecom_channel], recipients=["role:regional_lead"])
    [delivery] = emit(now)
    delivery = delivery_send(delivery_id=delivery.pk, now=now)
    assert delivery.status == DeliveryStatus.SENT
    [request] = vendor.requests
    assert request.method == "POST"
    assert request.url.path == "/cgi-bin/webhook/send"
    body = json.loads(request.content)
    assert body["msgtype"] == "markdown"
    assert "INC-2026-000001 SLA breached" in body["markdown"]["content"]


def test_dingtalk_signed_markdown_payload(vendor, dingtalk_channel, make_rule, lead, now):
    make_rule(event="sla.breach", channels=[dingtalk_channel], recipients=["role:regional_lead"])
    [delivery] = emit(now)
    delivery_send(delivery_id=delivery.pk, now=now)
    [request] = vendor.requests
    query = parse_qs(request.url.query.decode())
    timestamp = int(query["timestamp"][0])
    assert timestamp == int(now.timestamp() * 1000)
    assert query["sign"][0] == dingtalk_sign(timestamp_ms=timestamp, secret=DINGTALK_SECRET)
    body = json.loads(request.content)
    assert body["msgtype"] == "markdown"
    assert body["markdown"]["title"].startswith("INC-2026-000001")
    assert body["at"] == {"atMobiles": ["13900001111"], "isAtAll": False}


def test_feishu_signed_text_payload(vendor, feishu_channel, make_rule, lead, now):
    make_rule(event="sla.breach", channels=[feishu_channel], recipients=["role:regional_lead"])
    [delivery] = emit(now)
    delivery_send(delivery_id=delivery.pk, now=now)
    body = vendor.json_bodies()[0]
    assert body["msg_type"] == "text"
    assert body["timestamp"] == str(int(now.timestamp()))
    assert body["sign"] == feishu_sign(timestamp=int(now.timestamp()), secret=FEISHU_SECRET)
    assert "Core switch down" in body["content"]["text"]


def test_sms_sendsms_request_shape_and_signature(vendor, sms_channel, make_rule, lead, now):
    make_rule(event="incident.major", channels=[sms_channel], recipients=["role:regional_lead"])
    [delivery] = emit(now, event="incident.major", number="INC-2026-000001")
    delivery = delivery_send(delivery_id=delivery.pk, now=now)
    assert delivery.status == DeliveryStatus.SENT
    [request] = vendor.requests
    assert request.method == "GET"
    assert request.url.host == "dysmsapi.aliyuncs.com"
    params = {k: v[0] for k, v in parse_qs(request.url.query.decode(), keep_blank_values=True).items()}
    assert params["Action"] == "SendSms"
    assert params["PhoneNumbers"] == "13900001111"
    assert params["SignName"] == "运维服务"
    assert params["TemplateCode"] == "SMS_123456789"
    assert json.loads(params["TemplateParam"])["number"] == "INC-2026-000001"
    assert params["SignatureMethod"] == "HMAC-SHA1" and params["SignatureVersion"] == "1.0"
    assert params["Version"] == "2017-05-25"
    signature = params.pop("Signature")
    assert signature == aliyun_rpc_signature(params, access_key_secret=SMS_KEY_SECRET)
    assert " " not in unquote(request.url.query.decode()).split("Timestamp=")[1][:20]


def test_email_through_django_mail(email_channel, make_rule, lead, now):
    make_rule(event="sla.breach", channels=[email_channel], recipients=["role:regional_lead"])
    [delivery] = emit(now)
    delivery = delivery_send(delivery_id=delivery.pk, now=now)
    assert delivery.status == DeliveryStatus.SENT
    [message] = mail.outbox
    assert message.to == ["lead@example.com"]
    assert message.subject.startswith("INC-2026-000001")
    assert "/incidents/1/" in message.body


def test_vendor_error_body_is_a_failure_and_is_retried_with_backoff(vendor, dingtalk_channel, make_rule, lead, now):
    vendor.responder = lambda request: httpx.Response(200, json={"errcode": 310000, "errmsg": "sign not match"})
    make_rule(event="sla.breach", channels=[dingtalk_channel], recipients=["role:regional_lead"])
    [delivery] = emit(now)
    delivery = delivery_send(delivery_id=delivery.pk, now=now)
    assert delivery.status == DeliveryStatus.QUEUED
    assert delivery.attempts == 1
    assert "310000" in delivery.last_error
    assert delivery.next_attempt_at == now + timedelta(seconds=30)
    [attempt] = DeliveryAttempt.objects.filter(delivery=delivery)
    assert attempt.ok is False and attempt.http_status == 200
    assert "sign not match" in attempt.response_excerpt

    # not due yet: nothing happens
    assert delivery_send(delivery_id=delivery.pk, now=now + timedelta(seconds=10)).attempts == 1
    # the flush retries after the backoff; max_attempts=3 then gives up
    deliveries_flush(now=now + timedelta(seconds=31))
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.next_attempt_at == now + timedelta(seconds=31 + 60)
    deliveries_flush(now=now + timedelta(seconds=100))
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == 3
    assert DeliveryAttempt.objects.filter(delivery=delivery).count() == 3
    assert len(vendor.requests) == 3


def test_sms_vendor_code_and_http_errors_are_failures(vendor, sms_channel, make_rule, lead, now):
    answers = iter([
        httpx.Response(200, json={"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发流控"}),
        httpx.Response(503, text="Service Unavailable"),
    ])
    vendor.responder = lambda request: next(answers)
    make_rule(event="incident.major", channels=[sms_channel], recipients=["role:regional_lead"])
    [delivery] = emit(now, event="incident.major")
    delivery = delivery_send(delivery_id=delivery.pk, now=now)
    assert delivery.status == DeliveryStatus.QUEUED and "BUSINESS_LIMIT_CONTROL" in delivery.last_error
    delivery = delivery_send(delivery_id=delivery.pk, now=now + timedelta(minutes=1))
    assert delivery.status == DeliveryStatus.FAILED  # max_attempts=2
    assert [a.http_status for a in delivery.attempt_log.order_by("at")] == [200, 503]


def test_network_error_is_a_failure(vendor, wecom_channel, make_rule, lead, now):
    def refuse(request):
        raise httpx.ConnectError("connection refused", request=request)

    vendor.responder = refuse
    make_rule(event="sla.breach", channels=[wecom_channel], recipients=["assignee"])
    [delivery] = emit(now, assignee_id=lead.pk)
    delivery = delivery_send(delivery_id=delivery.pk, now=now)
    assert delivery.status == DeliveryStatus.QUEUED
    assert "ConnectError" in delivery.last_error


def test_send_is_safe_to_run_twice(vendor, wecom_channel, make_rule, lead, now):
    make_rule(event="sla.breach", channels=[wecom_channel], recipients=["assignee"])
    [delivery] = emit(now, assignee_id=lead.pk)
    delivery_send(delivery_id=delivery.pk, now=now)
    delivery_send(delivery_id=delivery.pk, now=now)
    assert len(vendor.requests) == 1
    assert Delivery.objects.get(pk=delivery.pk).attempts == 1


def test_switched_off_channel_fails_queued_delivery(vendor, wecom_channel, make_rule, lead, now):
    make_rule(event="sla.breach", channels=[wecom_channel], recipients=["assignee"])
    [delivery] = emit(now, assignee_id=lead.pk)
    wecom_channel.is_active = False
    wecom_channel.save()
    delivery = delivery_send(delivery_id=delivery.pk, now=now)
    assert delivery.status == DeliveryStatus.FAILED
    assert vendor.requests == []


def test_a_title_with_a_line_break_is_sent_on_one_line(email_channel, make_rule, lead, now):
    """Issue #11 finding 3: CR/LF in a title raised ValueError and left the delivery in `sending`."""
    make_rule(event="sla.breach", channels=[email_channel], recipients=["role:regional_lead"])
    [delivery] = emit(now, title="INC-2026-000001 Core switch\r\nBcc: evil@example.com")
    delivery = delivery_send(delivery_id=delivery.pk, now=now)
    assert delivery.status == DeliveryStatus.SENT
    [message] = mail.outbox
    assert message.subject == "INC-2026-000001 Core switch Bcc: evil@example.com" and message.bcc == []


def test_one_unsendable_delivery_fails_with_its_reason_and_the_flush_goes_on(email_channel, make_rule, lead, now,
                                                                            monkeypatch):
    from tests.factories import UserFactory

    UserFactory(username="lead2", role="regional_lead", email="lead2@example.com")
    make_rule(event="sla.breach", channels=[email_channel], recipients=["role:regional_lead"])
    with monkeypatch.context() as patch:
        patch.setattr("notifications.services._queue_send", lambda delivery_id: None)  # left for the flush
        deliveries = emit(now)
    assert len(deliveries) == 2
    real_send = __import__("notifications.channels", fromlist=["send_mail"]).send_mail

    def broken_for_lead(subject, body, sender, recipients, **kwargs):
        if recipients == ["lead@example.com"]:
            raise RuntimeError("the mail backend choked on this record")
        return real_send(subject, body, sender, recipients, **kwargs)

    monkeypatch.setattr("notifications.channels.send_mail", broken_for_lead)
    summary = deliveries_flush(now=now)
    assert summary.tried == 2
    by_address = {d.address: d for d in Delivery.objects.all()}
    assert by_address["lead@example.com"].status == DeliveryStatus.FAILED
    assert "the mail backend choked" in by_address["lead@example.com"].last_error
    assert by_address["lead2@example.com"].status == DeliveryStatus.SENT
    assert [m.to for m in mail.outbox] == [["lead2@example.com"]]
