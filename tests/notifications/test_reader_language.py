"""Messages are rendered per reader (notifications/messages.py); the language switch stores the
reader's preference (User.language)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.utils import translation
from django.utils.translation import gettext_noop

from accounts.choices import Role
from notifications.messages import msg, reader_language, render, term, when
from tests.factories import UserFactory

DUE = datetime(2026, 12, 5, 23, 30, 27, 414361, tzinfo=UTC)


def test_render_is_the_readers_not_the_workers():
    message = msg(gettext_noop("%(number)s: %(target)s target breached"), number="INC-000001", target=term("Response"))
    body = msg(gettext_noop("Was due at %(due)s."), due=when(DUE))
    with translation.override("en"):  # the worker's language does not leak into the text
        assert render(message, language="zh-hans") == "INC-000001：响应超时"
        assert render(body, language="zh-hans", time_zone="Asia/Shanghai") == "原截止时间 2026年12月6日 07:30。"
    assert render(body, language="en", time_zone="Asia/Shanghai") == "Was due at 6 Dec 2026, 07:30."
    assert render(body, language="en", time_zone="Not/AZone") == "Was due at 6 Dec 2026, 07:30."  # a bad zone: the default
    assert render("plain text", language="zh-hans") == "plain text"


@pytest.mark.django_db
def test_language_switch_stores_the_preference(client):
    user = UserFactory(username="disp", role=Role.DISPATCHER, language="zh-hans")
    assert reader_language(user) == "zh-hans" and reader_language(None) == "zh-hans"
    client.force_login(user)
    assert client.post("/i18n/setlang/", {"language": "en", "next": "/"}).status_code == 302
    user.refresh_from_db()
    assert user.language == "en"
    client.post("/i18n/setlang/", {"language": "xx", "next": "/"})
    user.refresh_from_db()
    assert user.language == "en"


@pytest.mark.django_db
def test_customer_email_in_the_contacts_language_and_local_time(org_a, make_incident, mailoutbox):
    from datetime import timedelta

    from quality.models import RatingInvitation
    from quality.services import rating_invitation_send
    from tests.factories import ContactFactory

    incident = make_incident(organization=org_a)
    contact = ContactFactory(organization=org_a, name="李雷", phone="13900000001", email="lilei@example.com")
    invitation = RatingInvitation.objects.create(ticket_kind="incident", ticket_id=incident.pk, organization=org_a,
                                                 contact=contact, email=contact.email, created_at=DUE,
                                                 expires_at=DUE + timedelta(days=14))
    with translation.override("en"):  # the worker's language
        assert rating_invitation_send(invitation_id=invitation.pk, now=DUE)
    mail = mailoutbox[-1]
    assert incident.number in mail.subject and "Rate" not in mail.subject, mail.subject
    assert "2026年12月20日 07:30" in mail.body and "2026-12-19" not in mail.body, mail.body
