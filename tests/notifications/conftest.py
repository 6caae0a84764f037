from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from notifications import channels as channel_module
from notifications.choices import ChannelKind
from notifications.models import NotificationChannel, NotificationRule
from opsdesk.celery import app as celery_app

DINGTALK_TOKEN = "dt-token-0123456789abcdef"
DINGTALK_SECRET = "SECdingtalk-secret-ABCDEF0123456789"
WECOM_KEY = "wecom-key-693a91f6-7xxx-4bc4"
FEISHU_HOOK = "feishu-hook-5e3d587e-d78e-4a07"
FEISHU_SECRET = "feishu-secret-nIMtb7r3N9pk"
SMS_KEY_ID = "LTAI-test-key-id"
SMS_KEY_SECRET = "sms-access-key-secret-XYZ987"
ALL_SECRETS = (DINGTALK_TOKEN, DINGTALK_SECRET, WECOM_KEY, FEISHU_HOOK, FEISHU_SECRET, SMS_KEY_SECRET)


@pytest.fixture(autouse=True)
def _eager_celery():
    """Tasks queued on commit run in-process (the task functions themselves, no broker)."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@dataclass
class FakeVendor:
    """The outside world behind an httpx.MockTransport: records requests, answers with `responder`."""

    requests: list[httpx.Request] = field(default_factory=list)
    responder: Callable[[httpx.Request], httpx.Response] | None = None

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.responder is not None:
            return self.responder(request)
        return default_ok(request)

    def json_bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests]


def default_ok(request: httpx.Request) -> httpx.Response:
    host = request.url.host
    if "feishu" in host:
        return httpx.Response(200, json={"code": 0, "msg": "success", "data": {}})
    if "dysmsapi" in host:
        return httpx.Response(200, json={"Code": "OK", "Message": "OK", "BizId": "9006197469364984", "RequestId": "F655A8D5"})
    return httpx.Response(200, json={"errcode": 0, "errmsg": "ok"})


@pytest.fixture
def vendor(monkeypatch) -> FakeVendor:
    fake = FakeVendor()
    transport = httpx.MockTransport(fake.handle)
    monkeypatch.setattr(channel_module, "http_client", lambda: httpx.Client(transport=transport))
    return fake


@pytest.fixture
def inapp_channel(db) -> NotificationChannel:
    return NotificationChannel.objects.create(name="In-app", kind=ChannelKind.INAPP, is_active=True)


@pytest.fixture
def email_channel(db) -> NotificationChannel:
    return NotificationChannel.objects.create(name="Email", kind=ChannelKind.EMAIL, is_active=True)


@pytest.fixture
def dingtalk_channel(db) -> NotificationChannel:
    return NotificationChannel.objects.create(
        name="DingTalk", kind=ChannelKind.DINGTALK, is_active=True, rate_limit_per_minute=20, max_attempts=3,
        webhook_url=f"https://oapi.dingtalk.com/robot/send?access_token={DINGTALK_TOKEN}", secret=DINGTALK_SECRET,
    )


@pytest.fixture
def wecom_channel(db) -> NotificationChannel:
    return NotificationChannel.objects.create(
        name="WeCom", kind=ChannelKind.WECOM, is_active=True, rate_limit_per_minute=20,
        webhook_url=f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={WECOM_KEY}",
    )


@pytest.fixture
def feishu_channel(db) -> NotificationChannel:
    return NotificationChannel.objects.create(
        name="Feishu", kind=ChannelKind.FEISHU, is_active=True, rate_limit_per_minute=20,
        webhook_url=f"https://open.feishu.cn/open-apis/bot/v2/hook/{FEISHU_HOOK}", secret=FEISHU_SECRET,
    )


@pytest.fixture
def sms_channel(db) -> NotificationChannel:
    return NotificationChannel.objects.create(
        name="SMS", kind=ChannelKind.SMS, is_active=True, access_key_id=SMS_KEY_ID,
        access_key_secret=SMS_KEY_SECRET, sign_name="运维服务", template_code="SMS_123456789", max_attempts=2,
    )


@pytest.fixture
def make_rule(db):
    def make(*, event: str, channels: list[NotificationChannel], recipients: list[str], **kwargs: Any):
        rule = NotificationRule.objects.create(name=kwargs.pop("name", f"{event} rule"), event=event,
                                               recipients=recipients, **kwargs)
        rule.channels.set(channels)
        return rule

    return make
