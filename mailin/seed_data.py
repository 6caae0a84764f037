"""Demo mailbox for `manage.py seed_demo` (settings.DEMO_SEEDERS): one disabled IMAP mailbox so the
admin shows how one is configured. Idempotent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .choices import OpenAs, Security
from .crypto import password_encrypt
from .models import Mailbox


def seed(*, now: datetime, stdout: Any) -> None:
    if Mailbox.objects.exists():
        return
    Mailbox.objects.create(
        name="服务台邮箱 (demo)", is_active=False, host="imap.example.com", port=993, security=Security.SSL,
        username="servicedesk@example.com", password_encrypted=password_encrypt("change-me"), folder="INBOX",
        address="servicedesk@example.com", open_as=OpenAs.REQUEST, incident_keywords="故障\n中断\ndown\noutage",
    )
    stdout.write("Demo mailbox (disabled) created: admin → E-mail intake → Mailboxes.")
