"""E-mail header values built from user text (a ticket title, an organisation's name).

Django refuses a header containing CR or LF (header injection) by raising ValueError; a title typed
with a line break must still give a sendable mail, so every subject passes through `header_text`."""

from __future__ import annotations

import re
from typing import Any

SUBJECT_MAX_CHARS = 200
_BREAKS = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+")


def header_text(value: Any, *, limit: int = SUBJECT_MAX_CHARS) -> str:
    """One line of text for a mail header: line breaks and control characters become one space."""
    return " ".join(_BREAKS.sub(" ", str(value)).split())[:limit]


def message_id_domain() -> str:
    """The right-hand side of the Message-IDs OpsDesk writes (MAIL_MESSAGE_ID_DOMAIN, else SITE_URL's host)."""
    from urllib.parse import urlsplit

    from django.conf import settings

    return (getattr(settings, "MAIL_MESSAGE_ID_DOMAIN", "") or urlsplit(settings.SITE_URL).hostname
            or "opsdesk.invalid")


def ticket_thread_headers(number: str) -> dict[str, str]:
    """Headers for an outgoing mail about ticket `number` (INC-…, REQ-…): a fresh Message-ID, and
    In-Reply-To / References to the ticket's mail thread so the customer's reply threads back.

    The thread is kept by the app named in settings.MAIL_THREAD_HOOK (mailin: it records the
    Message-ID against the ticket); without it the mail still gets a Message-ID."""
    import uuid

    from django.conf import settings
    from django.utils.module_loading import import_string

    number = header_text(number, limit=20)
    hook = getattr(settings, "MAIL_THREAD_HOOK", "")
    if number and hook:
        return dict(import_string(hook)(number=number))
    local = f"opsdesk.{number.lower()}.{uuid.uuid4().hex}" if number else f"opsdesk.{uuid.uuid4().hex}"
    return {"Message-ID": f"<{local}@{message_id_domain()}>"}


def ticket_mail_send(subject: str, body: str, recipients: list[str], *, number: str,
                     fail_silently: bool = False) -> int:
    """Send a plain mail about ticket `number` (an approval link, a rating invitation) with the
    same thread headers as every other ticket mail: a Message-ID recorded against the ticket and
    In-Reply-To/References to its thread, so a reply threads back onto that ticket."""
    from django.conf import settings
    from django.core.mail import EmailMessage

    headers = ticket_thread_headers(number) if number else ticket_thread_headers("")
    return EmailMessage(header_text(subject), body, settings.DEFAULT_FROM_EMAIL, recipients,
                        headers=headers).send(fail_silently=fail_silently)
