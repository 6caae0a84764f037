"""Issue 13, the mail journey in a browser: a customer's mail arrives in the real dovecot and is
polled into a request; an engineer sees it in the browser, replies publicly; the reply is e-mailed
to the customer with the thread headers (captured by Django's test mail backend), and the
customer's answer to that mail threads back onto the same request."""

from __future__ import annotations

import uuid

import pytest
from django.core import mail

from accounts.choices import Role
from mailin.choices import InboundStatus
from mailin.models import InboundMail, MailThread
from mailin.services import mailbox_poll
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_journey import DESKTOP, shot
from tests.e2e.test_layout_1366 import login
from tests.factories import UserFactory
from tickets.models import Comment, ServiceRequest

from .test_imap_intake import box, customer_org, make_mail  # noqa: F401 - fixtures

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_customer_mail_engineer_replies_in_the_browser_reply_threads(browser, live_server, box,  # noqa: F811
                                                                      customer_org):  # noqa: F811
    ARTIFACTS.mkdir(exist_ok=True)
    org, contact = customer_org
    UserFactory(username="eng_li", name="李工", role=Role.ENGINEER)
    first_id = f"<{uuid.uuid4().hex}@hospital.test>"
    box.append(make_mail(sender="Wang Li <wang.li@hospital.test>", subject="VPN 无法连接", body="今天早上开始连不上。",
                         message_id=first_id))
    assert mailbox_poll(mailbox_id=box.pk).error == ""
    req = ServiceRequest.objects.get()
    ack_id = mail.outbox[0].extra_headers["Message-ID"]  # the acknowledgement went out after commit

    page = login(browser, live_server.url, "eng_li", locale="zh-CN", viewport=DESKTOP)
    page.goto(f"{live_server.url}/requests/")
    page.get_by_text(req.number).first.click()
    page.locator("h1", has_text="VPN").wait_for()
    assert "今天早上开始连不上" in page.content()
    page.locator("summary", has_text="添加评论").click()
    page.fill("#id_comment-body", "请重启客户端后再试，我们已重置您的账号。")
    page.check("#id_comment-public")
    page.locator("form[action$='/add/comment/'] button[type=submit]").click()
    page.locator(".messages, [role=status]", has_text="评论已添加").first.wait_for()
    shot(page, ARTIFACTS, "mail-journey-01-engineer-replied")

    replies = [m for m in mail.outbox if "请重启客户端" in m.body]
    assert len(replies) == 1
    reply = replies[0]
    assert reply.to == ["wang.li@hospital.test"] and req.number in reply.subject
    headers = reply.extra_headers
    assert headers["In-Reply-To"] == ack_id
    assert first_id in headers["References"] and ack_id in headers["References"]
    assert MailThread.objects.filter(message_id=headers["Message-ID"], ticket_number=req.number,
                                     direction="out").exists()

    # The customer answers that mail (their client quotes only the References): it threads back.
    box.append(make_mail(sender="wang.li@hospital.test", subject="Re: 好的", body="重启后可以了，谢谢。",
                         headers={"In-Reply-To": headers["Message-ID"], "References": headers["References"]}))
    assert mailbox_poll(mailbox_id=box.pk).error == ""
    assert InboundMail.objects.filter(status=InboundStatus.COMMENT, ticket_number=req.number).count() == 1
    assert Comment.objects.filter(ticket_kind="request", ticket_id=req.pk, body__contains="重启后可以了").exists()
    page.reload()
    assert "重启后可以了" in page.content()
    shot(page, ARTIFACTS, "mail-journey-02-customer-answer-threaded")
