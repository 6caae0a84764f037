"""The admin: the mailbox password is write-only and stored encrypted; the inbound log is read-only."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from django.utils import timezone

from mailin.crypto import password_decrypt
from mailin.models import InboundMail, Mailbox
from mailin.seed_data import seed
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = UserFactory(username="root", role="manager", is_superuser=True, is_staff=True)
    assert client.login(username=admin.username, password=PASSWORD)
    return client


def test_password_is_encrypted_at_rest_and_never_shown(admin_client):
    form = {"name": "desk", "host": "imap.example.com", "port": 993, "security": "ssl", "username": "desk",
            "folder": "INBOX", "open_as": "request", "request_type": "service_request", "max_message_bytes": 1000000,
            "password": "s3cret-imap-pw", "send_acknowledgement": "on"}
    response = admin_client.post(reverse("admin:mailin_mailbox_add"), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    box = Mailbox.objects.get()
    assert "s3cret-imap-pw" not in box.password_encrypted and password_decrypt(box.password_encrypted) == "s3cret-imap-pw"
    page = admin_client.get(reverse("admin:mailin_mailbox_change", args=[box.pk])).content.decode()
    assert "s3cret-imap-pw" not in page and box.password_encrypted not in page
    # saved again without a password: the old one stays
    form["password"] = ""
    assert admin_client.post(reverse("admin:mailin_mailbox_change", args=[box.pk]), form).status_code == 302
    box.refresh_from_db()
    assert password_decrypt(box.password_encrypted) == "s3cret-imap-pw"


def test_a_password_under_another_key_is_a_clear_error(settings):
    from mailin.crypto import password_encrypt

    token_from_secret_key = password_encrypt("pw0")
    settings.MAILIN_KEY = "first-mailin-key"
    assert password_decrypt(token_from_secret_key) == "pw0"  # moving to MAILIN_KEY loses nothing
    token = password_encrypt("pw")
    settings.MAILIN_KEY = "a-different-key"
    with pytest.raises(ValueError, match="cannot be decrypted"):
        password_decrypt(token)
    settings.MAILIN_OLD_KEYS = ["first-mailin-key"]
    assert password_decrypt(token) == "pw"


def test_seeded_mailbox_and_inbound_log_render(admin_client):
    seed(now=timezone.now(), stdout=io.StringIO())
    seed(now=timezone.now(), stdout=io.StringIO())  # idempotent
    assert Mailbox.objects.count() == 1 and not Mailbox.objects.get().is_active
    assert InboundMail.objects.count() == 3
    for url in (reverse("admin:mailin_mailbox_changelist"), reverse("admin:mailin_inboundmail_changelist"),
                reverse("admin:mailin_mailthread_changelist"),
                reverse("admin:mailin_inboundmail_change", args=[InboundMail.objects.first().pk])):
        assert admin_client.get(url).status_code == 200, url
    assert admin_client.get(reverse("admin:mailin_inboundmail_add")).status_code == 403
