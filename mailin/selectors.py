"""Reads of the mailin app: the triage list is staff-only (customers and anonymous: nothing → 404)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from .choices import InboundStatus
from .models import InboundMail
from .parsing import parse_mail


def _staff(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.is_staff_member)


def inbound_visible(*, user: Any) -> QuerySet[InboundMail]:
    qs = InboundMail.objects.select_related("mailbox", "handled_by").defer("raw")
    return qs if _staff(user) else qs.none()


def triage_list(*, user: Any) -> QuerySet[InboundMail]:
    return inbound_visible(user=user).filter(status=InboundStatus.TRIAGE).order_by("-received_at", "-id")


def triage_get(*, user: Any, pk: int) -> InboundMail:
    inbound = inbound_visible(user=user).filter(pk=pk).first()
    if inbound is None:
        raise Http404
    return inbound


def attachment_names(inbound: InboundMail) -> list[str]:
    """Names of the attachments a triaged mail carries (kept with it until a ticket is opened)."""
    raw = InboundMail.objects.filter(pk=inbound.pk).values_list("raw", flat=True).first()
    if not raw:
        return []
    try:
        return [a.name for a in parse_mail(bytes(raw)).attachments]
    except Exception:  # noqa: BLE001 - a mail that cannot be read again shows no attachments
        return []
