"""A mail from organisation A's contact waiting in the e-mail triage list (staff-only pages: no
customer, of A or of B, may see its subject or text), and one already turned into A's ticket."""

from __future__ import annotations

from typing import Any

from mailin.choices import InboundStatus, Security
from mailin.models import InboundMail, Mailbox


def contribute(*, org_a: Any, customer_a: Any, ci: Any, incident: Any, contact: Any, operator: Any, engineer: Any,
               now: Any) -> dict[str, Any]:
    box = Mailbox.objects.create(name="alpha-desk", host="127.0.0.1", port=143, security=Security.PLAIN,
                                 username="alpha-desk")
    waiting = InboundMail.objects.create(
        mailbox=box, uidvalidity=1, uid=1, status=InboundStatus.TRIAGE, from_address="alpha-sender@alpha.test",
        subject="Alpha triage subject", body="Alpha triage mail body", reason="Unknown sender", received_at=now)
    done = InboundMail.objects.create(
        mailbox=box, uidvalidity=1, uid=2, status=InboundStatus.TICKET, from_address="alpha-sender2@alpha.test",
        subject="Alpha ticket mail subject", body="Alpha ticket mail body", organization=org_a,
        ticket_kind="incident", ticket_id=incident.pk, ticket_number=incident.number, received_at=now)
    return {
        "ids": {"inbound_mail": [waiting.pk, done.pk]},
        "secrets": ["Alpha triage subject", "Alpha triage mail body", "alpha-sender@alpha.test",
                    "Alpha ticket mail subject"],
    }
