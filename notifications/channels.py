"""One sender per channel kind. Each builds the vendor's request shape, sends it through
`http_client()` (the one seam tests replace, with an httpx.MockTransport) and reads the vendor's
answer: HTTP errors and vendor error bodies (errcode != 0, code != 0, Code != "OK") are failures.
Secrets never leave this module unmasked: the result carries a masked URL and a scrubbed excerpt."""

from __future__ import annotations

import json
import smtplib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from django.conf import settings
from django.core.mail import EmailMessage

from opsdesk.mail import header_text, ticket_thread_headers

from .choices import ChannelKind
from .models import Delivery, NotificationChannel
from .redaction import excerpt, mask_url, scrub
from .signing import aliyun_signed_query, dingtalk_signed_url, feishu_sign

HTTP_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
SMS_API_VERSION = "2017-05-25"
SMS_REGION = "cn-hangzhou"
SMS_PARAM_MAX_CHARS = 35  # Aliyun caps each template variable


def http_client() -> httpx.Client:
    """The HTTP client every sender uses. Tests replace this factory to inject a MockTransport."""
    return httpx.Client(timeout=HTTP_TIMEOUT, follow_redirects=False)


@dataclass(frozen=True)
class SendResult:
    ok: bool
    http_status: int | None = None
    response_excerpt: str = ""
    error: str = ""
    request_url: str = ""
    permanent: bool = False  # the message itself cannot be sent: fail now instead of retrying


@dataclass(frozen=True)
class Message:
    title: str
    body: str
    link: str
    mobiles: tuple[str, ...] = ()
    sms_params: dict[str, str] | None = None
    number: str = ""

    @classmethod
    def from_delivery(cls, delivery: Delivery) -> Message:
        payload = delivery.payload or {}
        link = str(payload.get("link") or "")
        if link.startswith("/"):
            link = getattr(settings, "SITE_URL", "").rstrip("/") + link
        return cls(
            title=str(payload.get("title") or ""), body=str(payload.get("body") or ""), link=link,
            mobiles=tuple(payload.get("mobiles") or ()), sms_params=payload.get("sms_params"),
            number=str(payload.get("number") or ""),
        )

    def as_text(self) -> str:
        return "\n".join(part for part in (self.title, self.body, self.link) if part)

    def as_markdown(self) -> str:
        lines = [f"**{self.title}**"]
        if self.body:
            lines.append(self.body)
        if self.link:
            lines.append(f"[{self.link}]({self.link})")
        return "\n\n".join(lines)


def _post_json(channel: NotificationChannel, url: str, body: dict[str, Any],
               vendor_ok: Callable[[dict[str, Any]], tuple[bool, str]]) -> SendResult:
    secrets = channel.secret_values()
    masked_url = mask_url(url)
    try:
        with http_client() as client:
            response = client.post(url, json=body)
    except httpx.HTTPError as exc:
        return SendResult(ok=False, error=scrub(f"{type(exc).__name__}: {exc}", secrets), request_url=masked_url)
    return _read_response(response, secrets=secrets, masked_url=masked_url, vendor_ok=vendor_ok)


def _read_response(response: httpx.Response, *, secrets: list[str], masked_url: str,
                   vendor_ok: Callable[[dict[str, Any]], tuple[bool, str]]) -> SendResult:
    text = excerpt(response.text, secrets)
    if response.status_code >= 400:
        return SendResult(ok=False, http_status=response.status_code, response_excerpt=text,
                          error=f"HTTP {response.status_code}", request_url=masked_url)
    try:
        data = response.json()
    except ValueError:
        return SendResult(ok=False, http_status=response.status_code, response_excerpt=text,
                          error="The response is not JSON.", request_url=masked_url)
    ok, error = vendor_ok(data if isinstance(data, dict) else {})
    return SendResult(ok=ok, http_status=response.status_code, response_excerpt=text,
                      error=scrub(error, secrets), request_url=masked_url)


def _errcode_ok(data: dict[str, Any]) -> tuple[bool, str]:
    """WeCom and DingTalk: {"errcode": 0, "errmsg": "ok"}."""
    if data.get("errcode") == 0:
        return True, ""
    return False, f"errcode {data.get('errcode')}: {data.get('errmsg', '')}"


def _feishu_ok(data: dict[str, Any]) -> tuple[bool, str]:
    """Feishu: {"code": 0, "msg": "success"} (older robots: {"StatusCode": 0, ...})."""
    code = data.get("code", data.get("StatusCode"))
    if code == 0:
        return True, ""
    return False, f"code {code}: {data.get('msg', data.get('StatusMessage', ''))}"


def _sms_ok(data: dict[str, Any]) -> tuple[bool, str]:
    """Aliyun SendSms: {"Code": "OK", "Message": "OK", "BizId": ..., "RequestId": ...}."""
    if data.get("Code") == "OK":
        return True, ""
    return False, f"{data.get('Code')}: {data.get('Message', '')}"


def send_wecom(channel: NotificationChannel, message: Message, *, now: datetime) -> SendResult:
    body = {"msgtype": "markdown", "markdown": {"content": message.as_markdown()}}
    return _post_json(channel, channel.webhook_url, body, _errcode_ok)


def send_dingtalk(channel: NotificationChannel, message: Message, *, now: datetime) -> SendResult:
    url = channel.webhook_url
    if channel.secret:
        url = dingtalk_signed_url(webhook_url=url, timestamp_ms=int(now.timestamp() * 1000), secret=channel.secret)
    text = message.as_markdown()
    if message.mobiles:
        text += "\n\n" + " ".join(f"@{m}" for m in message.mobiles)
    body = {
        "msgtype": "markdown",
        "markdown": {"title": message.title, "text": text},
        "at": {"atMobiles": list(message.mobiles), "isAtAll": False},
    }
    return _post_json(channel, url, body, _errcode_ok)


def send_feishu(channel: NotificationChannel, message: Message, *, now: datetime) -> SendResult:
    body: dict[str, Any] = {"msg_type": "text", "content": {"text": message.as_text()}}
    if channel.secret:
        timestamp = int(now.timestamp())
        body = {"timestamp": str(timestamp), "sign": feishu_sign(timestamp=timestamp, secret=channel.secret), **body}
    return _post_json(channel, channel.webhook_url, body, _feishu_ok)


def sms_params(channel: NotificationChannel, *, phone: str, message: Message, now: datetime,
               nonce: str) -> dict[str, str]:
    """The SendSms request parameters (without Signature), Aliyun RPC style."""
    template_param = message.sms_params or {"title": message.title}
    template_param = {k: str(v)[:SMS_PARAM_MAX_CHARS] for k, v in template_param.items()}
    return {
        "AccessKeyId": channel.access_key_id,
        "Action": "SendSms",
        "Format": "JSON",
        "PhoneNumbers": phone,
        "RegionId": SMS_REGION,
        "SignName": channel.sign_name,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": nonce,
        "SignatureVersion": "1.0",
        "TemplateCode": channel.template_code,
        "TemplateParam": json.dumps(template_param, ensure_ascii=False, separators=(",", ":")),
        "Timestamp": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Version": SMS_API_VERSION,
    }


def send_sms(channel: NotificationChannel, message: Message, *, now: datetime, address: str) -> SendResult:
    if not address:
        return SendResult(ok=False, error="No phone number.")
    params = sms_params(channel, phone=address, message=message, now=now, nonce=str(uuid.uuid4()))
    query = aliyun_signed_query(params, access_key_secret=channel.access_key_secret)
    url = f"{channel.endpoint.rstrip('/')}/?{query}"
    secrets = [*channel.secret_values(), channel.access_key_id]
    masked_url = mask_url(url)
    try:
        with http_client() as client:
            response = client.get(url)
    except httpx.HTTPError as exc:
        return SendResult(ok=False, error=scrub(f"{type(exc).__name__}: {exc}", secrets), request_url=masked_url)
    return _read_response(response, secrets=secrets, masked_url=masked_url, vendor_ok=_sms_ok)


def send_mail(subject: str, body: str, from_email: str, recipients: list[str], *,
              headers: dict[str, str] | None = None, fail_silently: bool = False) -> int:
    """Django's send_mail with extra headers (Message-ID, In-Reply-To, References)."""
    return EmailMessage(subject, body, from_email, recipients, headers=headers).send(fail_silently=fail_silently)


def send_email(channel: NotificationChannel, message: Message, *, address: str) -> SendResult:
    if not address:
        return SendResult(ok=False, error="No email address.")
    body = "\n\n".join(part for part in (message.body, message.link) if part)
    try:
        # A mail about a ticket carries a Message-ID recorded against it, and In-Reply-To/References to
        # the ticket's thread, so the customer's reply threads back (mailin).
        sent = send_mail(header_text(message.title), body, settings.DEFAULT_FROM_EMAIL, [address],
                         headers=ticket_thread_headers(message.number))
    except (smtplib.SMTPException, OSError) as exc:
        return SendResult(ok=False, error=f"{type(exc).__name__}: {exc}", request_url=f"mailto:{address}")
    except ValueError as exc:  # a header Django refuses (e.g. a bad address): retrying cannot help
        return SendResult(ok=False, error=f"{type(exc).__name__}: {exc}", request_url=f"mailto:{address}",
                          permanent=True)
    return SendResult(ok=sent == 1, error="" if sent == 1 else "The mail backend sent nothing.",
                      request_url=f"mailto:{address}")


def send(channel: NotificationChannel, delivery: Delivery, *, now: datetime) -> SendResult:
    """Send one delivery over its channel; never raises for vendor or network trouble."""
    message = Message.from_delivery(delivery)
    match channel.kind:
        case ChannelKind.WECOM:
            return send_wecom(channel, message, now=now)
        case ChannelKind.DINGTALK:
            return send_dingtalk(channel, message, now=now)
        case ChannelKind.FEISHU:
            return send_feishu(channel, message, now=now)
        case ChannelKind.SMS:
            return send_sms(channel, message, now=now, address=delivery.address)
        case ChannelKind.EMAIL:
            return send_email(channel, message, address=delivery.address)
    return SendResult(ok=True)  # in-app: written when emitted, nothing goes out
