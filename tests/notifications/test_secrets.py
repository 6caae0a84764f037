"""Secrets never appear in the attempt log, errors, the API or the admin."""

from __future__ import annotations

import json

import httpx
import pytest

from accounts.choices import Role
from notifications.models import DeliveryAttempt, NotificationChannel
from notifications.redaction import excerpt, mask_url
from notifications.services import delivery_send, notification_emit
from tests.factories import UserFactory

from .conftest import ALL_SECRETS, DINGTALK_TOKEN, FEISHU_HOOK, SMS_KEY_SECRET, WECOM_KEY

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.notifications.urls")]


def assert_no_secret(text: str) -> None:
    for secret in ALL_SECRETS:
        assert secret not in text


def test_mask_url():
    assert mask_url(f"https://oapi.dingtalk.com/robot/send?access_token={DINGTALK_TOKEN}&timestamp=1&sign=abc") == (
        "https://oapi.dingtalk.com/robot/send?access_token=***&timestamp=1&sign=***")
    assert mask_url(f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={WECOM_KEY}") == (
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=***")
    assert mask_url(f"https://open.feishu.cn/open-apis/bot/v2/hook/{FEISHU_HOOK}") == (
        "https://open.feishu.cn/open-apis/bot/v2/hook/***")


def test_excerpt_is_scrubbed_and_at_most_2kb():
    text = excerpt("x" * 5000 + SMS_KEY_SECRET, [SMS_KEY_SECRET])
    assert len(text.encode()) <= 2048
    assert excerpt(f"echo {SMS_KEY_SECRET}\x00", [SMS_KEY_SECRET]) == "echo ***"
    assert len(excerpt("运" * 2000, []).encode()) <= 2048


@pytest.mark.parametrize("fixture", ["dingtalk_channel", "wecom_channel", "feishu_channel", "sms_channel"])
def test_vendor_echoing_the_request_is_scrubbed_from_the_attempt_log(request, vendor, make_rule, fixture, now):
    channel = request.getfixturevalue(fixture)
    user = UserFactory(role=Role.REGIONAL_LEAD, phone="13900001111")

    def echo(req: httpx.Request) -> httpx.Response:
        return httpx.Response(400, text=json.dumps({"errcode": 1, "errmsg": f"bad request {req.url} {req.content!r}",
                                                    "secret": channel.secret or channel.access_key_secret}))

    vendor.responder = echo
    make_rule(event="sla.breach", channels=[channel], recipients=["role:regional_lead"])
    [delivery] = notification_emit(event="sla.breach", fault_level=None, organization_id=None, dedup_key="k",
                                   context={"title": "t"}, now=now)
    delivery = delivery_send(delivery_id=delivery.pk, now=now)
    attempt = DeliveryAttempt.objects.get(delivery=delivery)
    assert attempt.ok is False and attempt.http_status == 400
    for text in (attempt.response_excerpt, attempt.request_url, attempt.error, delivery.last_error):
        assert_no_secret(text)
    assert "***" in attempt.response_excerpt
    assert user  # the robot posts to the group; the user is only @-mentioned


def test_api_never_returns_secrets(api_as, manager, dingtalk_channel, sms_channel, vendor, make_rule, now):
    make_rule(event="sla.breach", channels=[dingtalk_channel], recipients=["role:manager"])
    [delivery] = notification_emit(event="sla.breach", fault_level=None, organization_id=None, dedup_key="k",
                                   context={"title": "t"}, now=now)
    delivery_send(delivery_id=delivery.pk, now=now)
    client = api_as(manager)
    for url in ("/api/v1/notifications/channels/", f"/api/v1/notifications/channels/{dingtalk_channel.pk}/",
                "/api/v1/notifications/deliveries/", f"/api/v1/notifications/deliveries/{delivery.pk}/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_no_secret(response.content.decode())
        assert SMS_KEY_SECRET not in response.content.decode()
    data = client.get(f"/api/v1/notifications/channels/{dingtalk_channel.pk}/").json()
    assert data["secret_set"] is True
    assert data["webhook_url_masked"] == "https://oapi.dingtalk.com/robot/send?access_token=***"
    assert "secret" not in data and "webhook_url" not in data and "access_key_secret" not in data


def test_api_channel_write_is_write_only_and_blank_keeps_secret(api_as, manager):
    client = api_as(manager)
    response = client.post("/api/v1/notifications/channels/", {
        "kind": "feishu", "name": "Ops group", "is_active": True,
        "webhook_url": f"https://open.feishu.cn/open-apis/bot/v2/hook/{FEISHU_HOOK}", "secret": "s3cret-value",
    }, format="json")
    assert response.status_code == 201, response.content
    assert_no_secret(response.content.decode())
    assert "s3cret-value" not in response.content.decode()
    channel = NotificationChannel.objects.get(name="Ops group")
    assert channel.rate_limit_per_minute == 20  # chat robot default
    response = client.patch(f"/api/v1/notifications/channels/{channel.pk}/", {"secret": "", "name": "Ops"},
                            format="json")
    assert response.status_code == 200
    channel.refresh_from_db()
    assert channel.secret == "s3cret-value" and channel.name == "Ops"
    # an active robot without a webhook is a field error, not a 500
    response = client.post("/api/v1/notifications/channels/", {"kind": "wecom", "name": "x", "is_active": True},
                           format="json")
    assert response.status_code == 400 and "webhook_url" in response.json()


def test_admin_changelist_and_form_hide_secrets(client, dingtalk_channel, sms_channel):
    admin = UserFactory(role=Role.MANAGER, is_superuser=True, is_staff=True)
    client.force_login(admin)
    page = client.get("/admin/notifications/notificationchannel/")
    assert page.status_code == 200
    assert_no_secret(page.content.decode())
    assert "access_token=***" in page.content.decode()
    for channel in (dingtalk_channel, sms_channel):
        form = client.get(f"/admin/notifications/notificationchannel/{channel.pk}/change/")
        assert form.status_code == 200
        assert_no_secret(form.content.decode())


def test_admin_blank_secret_keeps_the_stored_one(client, sms_channel):
    admin = UserFactory(role=Role.MANAGER, is_superuser=True, is_staff=True)
    client.force_login(admin)
    response = client.post(f"/admin/notifications/notificationchannel/{sms_channel.pk}/change/", {
        "kind": "sms", "name": "SMS renamed", "is_active": "on", "webhook_url": "", "secret": "",
        "access_key_id": sms_channel.access_key_id, "access_key_secret": "", "sign_name": "运维服务",
        "template_code": "SMS_1", "endpoint": "https://dysmsapi.aliyuncs.com/", "rate_limit_per_minute": 0,
        "max_attempts": 3,
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    sms_channel.refresh_from_db()
    assert sms_channel.name == "SMS renamed" and sms_channel.access_key_secret == SMS_KEY_SECRET


def test_delivery_log_is_for_managers_only(api_as, engineer, customer_a):
    for user in (engineer, customer_a):
        assert api_as(user).get("/api/v1/notifications/deliveries/").status_code == 403
        assert api_as(user).get("/api/v1/notifications/channels/").status_code == 403
