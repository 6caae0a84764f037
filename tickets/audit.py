"""Tamper-evident ticket history (DESIGN.md rule 9).

Each ticket has its own hash chain: event n stores sha256(canonical(event n) + hash(n-1)), and the
ticket row keeps the head (seq, hash). Writers lock only their own ticket row, so writers on
different tickets never wait for each other; verification walks every chain and names the first
record that does not match.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from .models import TicketBase, TicketEvent


def event_digest(
    *, ticket_kind: str, ticket_id: int, seq: int, actor_id: int | None, action: str,
    data: dict[str, Any], public: bool, created_at: datetime, prev_hash: str,
) -> str:
    payload = json.dumps(
        {
            "kind": ticket_kind, "ticket": ticket_id, "seq": seq, "actor": actor_id, "action": action,
            "data": data, "public": public, "at": created_at.astimezone(UTC).isoformat(timespec="microseconds"),
        },
        sort_keys=True, ensure_ascii=False, separators=(",", ":"), cls=DjangoJSONEncoder,
    )
    return hashlib.sha256((prev_hash + payload).encode("utf-8")).hexdigest()


class AuditJSONEncoder(DjangoJSONEncoder):
    """DjangoJSONEncoder, except that times keep their microseconds: an event's old → new values
    must equal the columns they describe (Django's encoder cuts them to milliseconds)."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime | time):
            return o.isoformat()
        return super().default(o)


def normalise(data: dict[str, Any]) -> dict[str, Any]:
    """What the JSON column will give back, so the digest is the same when recomputed."""
    return json.loads(json.dumps(data, cls=AuditJSONEncoder, ensure_ascii=False))


def _event_build(
    *, ticket: TicketBase, seq: int, prev_hash: str, actor_id: int | None, action: str, data: dict[str, Any],
    now: datetime, public: bool,
) -> TicketEvent:
    """The unsaved event `seq` of `ticket`'s chain, following the event whose hash is `prev_hash`."""
    clean = normalise(data)
    digest = event_digest(
        ticket_kind=ticket.KIND, ticket_id=ticket.pk, seq=seq, actor_id=actor_id, action=action, data=clean,
        public=public, created_at=now, prev_hash=prev_hash,
    )
    return TicketEvent(
        ticket_kind=ticket.KIND, ticket_id=ticket.pk, seq=seq, actor_id=actor_id, action=action, data=clean,
        public=public, created_at=now, prev_hash=prev_hash, hash=digest,
    )


def event_record(
    *, ticket: TicketBase, actor: Any, action: str, data: dict[str, Any], now: datetime, public: bool = False,
) -> TicketEvent:
    """Append one event to `ticket`'s chain. The caller holds the ticket row lock (select_for_update)."""
    event = _event_build(ticket=ticket, seq=ticket.audit_seq + 1, prev_hash=ticket.audit_head,
                         actor_id=actor.pk if actor is not None else None, action=action, data=data, now=now,
                         public=public)
    event.save(force_insert=True)
    type(ticket).objects.filter(pk=ticket.pk).update(audit_seq=event.seq, audit_head=event.hash)
    ticket.audit_seq, ticket.audit_head = event.seq, event.hash
    return event


def events_chain(
    *, ticket: TicketBase, entries: Iterable[tuple[str, dict[str, Any]]], now: datetime, actor: Any = None,
    public: bool = False,
) -> list[TicketEvent]:
    """`event_record` for bulk writers: the (action, data) entries as unsaved events chained onto
    `ticket`'s head and onto each other, in order; the in-memory head (audit_seq, audit_head) moves
    to the last one. The caller holds the ticket row lock and, in the same transaction, saves the
    events (TicketEvent.objects.bulk_create) and stores the ticket's new head."""
    actor_id = actor.pk if actor is not None else None
    events: list[TicketEvent] = []
    for action, data in entries:
        event = _event_build(ticket=ticket, seq=ticket.audit_seq + 1, prev_hash=ticket.audit_head,
                             actor_id=actor_id, action=action, data=data, now=now, public=public)
        ticket.audit_seq, ticket.audit_head = event.seq, event.hash
        events.append(event)
    return events


@dataclass(frozen=True)
class ChainBreak:
    ticket_kind: str
    ticket_id: int
    seq: int | None
    event_id: int | None
    reason: str

    def __str__(self) -> str:
        where = f"event #{self.event_id} (seq {self.seq})" if self.event_id else "ticket head"
        return f"{self.ticket_kind} {self.ticket_id}: {where}: {self.reason}"


def chain_verify(
    *, ticket_model: type[TicketBase], ticket_ids: list[int] | None = None, batch: int = 2000,
) -> Iterator[ChainBreak]:
    """Yield every break in the chains of `ticket_model` (all tickets, or the ids given)."""
    kind = ticket_model.KIND
    tickets = ticket_model.objects.order_by("pk").values_list("pk", "audit_seq", "audit_head")
    if ticket_ids is not None:
        tickets = tickets.filter(pk__in=ticket_ids)
    last_pk = 0
    while True:
        chunk = list(tickets.filter(pk__gt=last_pk)[:batch])
        if not chunk:
            return
        last_pk = chunk[-1][0]
        heads = {pk: (seq, head) for pk, seq, head in chunk}
        events = (
            TicketEvent.objects.filter(ticket_kind=kind, ticket_id__in=list(heads))
            .order_by("ticket_id", "seq").iterator(chunk_size=5000)
        )
        state: dict[int, tuple[int, str]] = {}
        for ev in events:
            prev_seq, prev_hash = state.get(ev.ticket_id, (0, ""))
            if ev.seq != prev_seq + 1:
                yield ChainBreak(kind, ev.ticket_id, ev.seq, ev.pk, f"expected seq {prev_seq + 1}: an event is missing")
            elif ev.prev_hash != prev_hash:
                yield ChainBreak(kind, ev.ticket_id, ev.seq, ev.pk, "prev_hash does not match the previous event")
            else:
                expected = event_digest(
                    ticket_kind=kind, ticket_id=ev.ticket_id, seq=ev.seq, actor_id=ev.actor_id, action=ev.action,
                    data=ev.data, public=ev.public, created_at=ev.created_at, prev_hash=ev.prev_hash,
                )
                if expected != ev.hash:
                    yield ChainBreak(kind, ev.ticket_id, ev.seq, ev.pk, "content was altered (hash mismatch)")
            state[ev.ticket_id] = (ev.seq, ev.hash)
        for pk, (seq, head) in heads.items():
            got = state.get(pk, (0, ""))
            if got != (seq, head):
                yield ChainBreak(kind, pk, None, None, f"head says seq {seq}, chain ends at seq {got[0]}: events removed or head altered")
