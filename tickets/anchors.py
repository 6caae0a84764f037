"""Daily audit anchors (issue #11, finding 5): once a day, per organisation, a SHA-256 digest over
the head (seq, hash) of every ticket chain of that organisation as it stood at the end of the day,
chained to the previous day's anchor. The customer receives it (portal page, monthly fault summary);
history rewritten afterwards — even with the HMAC key — no longer recomputes to what they hold.

Per organisation, so a customer's digest reveals nothing of another organisation. Recomputable at
any time: the head of a chain at a cutoff is its last event created before the cutoff, so the
anchor of a past day does not change as the chains grow."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from accounts.models import Organization

from .audit import ticket_models
from .models import AuditAnchor, TicketEvent

ANCHOR_FORMAT = "opsdesk-audit-anchor-v1"
CATCH_UP_DAYS = 31  # after an outage, the sweep fills at most this many missed days per organisation


@dataclass(frozen=True)
class AnchorFigures:
    digest: str
    tickets: int
    events: int


@dataclass(frozen=True)
class AnchorCheck:
    anchor: AuditAnchor
    recomputed: str
    digest_ok: bool
    prev_ok: bool  # prev_digest is the digest of the organisation's previous anchor

    @property
    def ok(self) -> bool:
        return self.digest_ok and self.prev_ok


def anchor_cutoff(day: date) -> datetime:
    """The end of `day` in the project's time zone (exclusive): what the customer calls that day."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def anchor_heads(*, organization_id: int, day: date) -> Iterator[tuple[str, int, int, str]]:
    """(kind, ticket id, seq, hash) of the head of every chain of one organisation at the end of
    `day`, in the order the digest reads them (kind, then ticket id)."""
    cutoff = anchor_cutoff(day)
    for kind, model in ticket_models().items():
        last_seq = (TicketEvent.objects.filter(ticket_kind=kind, ticket_id=OuterRef("ticket_id"), created_at__lt=cutoff)
                    .order_by("-seq").values("seq")[:1])
        heads = (
            TicketEvent.objects.filter(
                ticket_kind=kind, created_at__lt=cutoff,
                ticket_id__in=model.objects.filter(organization_id=organization_id).values("pk"),
            ).filter(seq=Subquery(last_seq)).order_by("ticket_id").values_list("ticket_id", "seq", "hash")
        )
        for ticket_id, seq, head in heads.iterator(chunk_size=5000):
            yield kind, ticket_id, seq, head


def anchor_digest(*, organization_id: int, day: date, prev_digest: str,
                  heads: Iterable[tuple[str, int, int, str]]) -> AnchorFigures:
    """The anchor's digest over `heads` (anchor_heads). Needs no key: anyone holding the heads (an
    auditor's export) recomputes it — docs/auditor.md shows the same in ten lines of Python."""
    digest = hashlib.sha256(
        f"{ANCHOR_FORMAT}\norganization:{organization_id}\nday:{day.isoformat()}\nprev:{prev_digest}\n".encode())
    tickets = events = 0
    for kind, ticket_id, seq, head in heads:
        digest.update(f"{kind}:{ticket_id}:{seq}:{head}\n".encode())
        tickets += 1
        events += seq
    return AnchorFigures(digest=digest.hexdigest(), tickets=tickets, events=events)


def anchor_compute(*, organization_id: int, day: date, prev_digest: str) -> AnchorFigures:
    """The digest of one organisation's chain heads at the end of `day`, streamed from the event table."""
    return anchor_digest(organization_id=organization_id, day=day, prev_digest=prev_digest,
                         heads=anchor_heads(organization_id=organization_id, day=day))


def _previous(*, organization_id: int, day: date) -> AuditAnchor | None:
    return AuditAnchor.objects.filter(organization_id=organization_id, day__lt=day).order_by("-day").first()


def audit_anchor_create(*, organization: Organization, day: date, now: datetime) -> AuditAnchor:
    """The anchor of `organization` for `day`: made once, then the stored one (safe to run twice or
    on two workers at once — the unique (organization, day) decides)."""
    existing = AuditAnchor.objects.filter(organization=organization, day=day).first()
    if existing is not None:
        return existing
    previous = _previous(organization_id=organization.pk, day=day)
    prev_digest = previous.digest if previous else ""
    figures = anchor_compute(organization_id=organization.pk, day=day, prev_digest=prev_digest)
    try:
        with transaction.atomic():
            return AuditAnchor.objects.create(
                organization=organization, day=day, cutoff=anchor_cutoff(day), digest=figures.digest,
                prev_digest=prev_digest, tickets=figures.tickets, events=figures.events, created_at=now,
            )
    except IntegrityError:
        return AuditAnchor.objects.get(organization=organization, day=day)


def audit_anchors_sweep(*, now: datetime) -> int:
    """Anchor every active organisation's finished days up to yesterday (local time): the first run
    anchors yesterday only; later runs fill any missed days (at most CATCH_UP_DAYS). Returns how
    many anchors were made."""
    yesterday = timezone.localdate(now) - timedelta(days=1)
    made = 0
    for organization in Organization.objects.filter(is_active=True).order_by("pk"):
        last = AuditAnchor.objects.filter(organization=organization).order_by("-day").values_list(
            "day", flat=True).first()
        start = yesterday if last is None else max(last + timedelta(days=1), yesterday - timedelta(days=CATCH_UP_DAYS - 1))
        day = start
        while day <= yesterday:
            anchor = audit_anchor_create(organization=organization, day=day, now=now)
            made += anchor.created_at == now
            day += timedelta(days=1)
    return made


def audit_anchor_verify(*, anchor: AuditAnchor) -> AnchorCheck:
    """Recompute `anchor` from today's event table and compare; also check its link to the previous one."""
    figures = anchor_compute(organization_id=anchor.organization_id, day=anchor.day, prev_digest=anchor.prev_digest)
    previous = _previous(organization_id=anchor.organization_id, day=anchor.day)
    return AnchorCheck(
        anchor=anchor, recomputed=figures.digest, digest_ok=figures.digest == anchor.digest,
        prev_ok=anchor.prev_digest == (previous.digest if previous else ""),
    )


# --- selectors ---------------------------------------------------------------------------------

def audit_anchor_list(*, user: Any, organization_id: int | None = None) -> QuerySet[AuditAnchor]:
    """Anchors the user may see: a customer their organisation's only; staff any (or one organisation's)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return AuditAnchor.objects.none()
    qs = AuditAnchor.objects.select_related("organization").order_by("-day", "organization_id")
    if user.is_customer and not user.is_superuser:
        return qs.filter(organization_id=user.organization_id)
    if organization_id is not None:
        qs = qs.filter(organization_id=organization_id)
    return qs


def audit_anchor_get(*, user: Any, pk: int) -> AuditAnchor:
    anchor = audit_anchor_list(user=user).filter(pk=pk).first()
    if anchor is None:
        raise Http404
    return anchor


def audit_anchors_of_period(*, organization_id: int, first: date, last: date) -> list[AuditAnchor]:
    """The anchors of one organisation for the days first..last (the monthly report prints them)."""
    return list(AuditAnchor.objects.filter(organization_id=organization_id, day__gte=first, day__lte=last)
                .order_by("day"))
