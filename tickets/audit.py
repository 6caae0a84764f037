"""Tamper-evident ticket history (DESIGN.md rule 9).

Each ticket has its own chain: event n stores HMAC-SHA256(key, hash(n-1) + canonical(event n)) and
the id of the key (`key_id`); the ticket row keeps the head (seq, hash). The key comes from the
environment (settings.AUDIT_HMAC_KEY), never from the database, so write access to the database is
not enough to rewrite an event and recompute the chain. Events written before keying (`key_id` "")
are plain SHA-256 and are accepted only as the start of a chain: once a keyed event follows, it
covers their hashes. Writers lock only their own ticket row, so writers on different tickets never
wait for each other; verification walks every chain and names every record that does not match —
and checks the rows people see (title, status, comment bodies …) against the events that wrote them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any, Protocol

from django.apps import apps
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

from .choices import EventAction
from .models import Attachment, Comment, TicketBase, TicketEvent, WorkLog


def event_digest(
    *, ticket_kind: str, ticket_id: int, seq: int, actor_id: int | None, action: str,
    data: dict[str, Any], public: bool, created_at: datetime, prev_hash: str, key: bytes | None = None,
) -> str:
    """The event's hash: HMAC-SHA256 under `key`, or plain SHA-256 without one (legacy events and
    the document history)."""
    payload = json.dumps(
        {
            "kind": ticket_kind, "ticket": ticket_id, "seq": seq, "actor": actor_id, "action": action,
            "data": data, "public": public, "at": created_at.astimezone(UTC).isoformat(timespec="microseconds"),
        },
        sort_keys=True, ensure_ascii=False, separators=(",", ":"), cls=DjangoJSONEncoder,
    )
    message = (prev_hash + payload).encode("utf-8")
    if key is None:
        return hashlib.sha256(message).hexdigest()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _derived_key(secret: str) -> bytes:
    return hmac.new(secret.encode("utf-8"), b"opsdesk.audit-chain.v1", hashlib.sha256).digest()


def audit_keys() -> tuple[str, dict[str, bytes]]:
    """(id of the signing key, every key that verifies by id). AUDIT_HMAC_KEY signs when set;
    otherwise a key derived from SECRET_KEY, whose id is a fingerprint ("sk-…") so that rotating
    SECRET_KEY (old one kept in SECRET_KEY_FALLBACKS) keeps old events verifiable."""
    ring: dict[str, bytes] = {}
    for secret in [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]:
        if secret:
            key = _derived_key(str(secret))
            ring["sk-" + hashlib.sha256(key).hexdigest()[:12]] = key
    derived_id = next(iter(ring), "")
    for item in getattr(settings, "AUDIT_HMAC_OLD_KEYS", []):
        key_id, sep, secret = str(item).partition(":")
        if sep and key_id.strip() and secret:
            ring[key_id.strip()] = secret.encode("utf-8")
    if getattr(settings, "AUDIT_HMAC_KEY", ""):
        current = settings.AUDIT_HMAC_KEY_ID
        ring[current] = settings.AUDIT_HMAC_KEY.encode("utf-8")
        return current, ring
    return derived_id, ring


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


def ticket_models() -> dict[str, type[TicketBase]]:
    """Every concrete ticket type, by KIND, found through the app registry (tickets must not
    import the apps above it)."""
    found = {
        model.KIND: model for model in apps.get_models()
        if issubclass(model, TicketBase) and model.KIND
    }
    return dict(sorted(found.items()))


def chain_sign(
    *, kind: str, owner_id: int, seq: int, prev_hash: str, actor_id: int | None, action: str,
    data: dict[str, Any], now: datetime, public: bool = False,
) -> tuple[dict[str, Any], str, str]:
    """(data as stored, hash, key id) of event `seq` of the chain of `kind` `owner_id`, signed with the
    current key. Every history chain of the project signs through here (ticket events, the
    document history)."""
    clean = normalise(data)
    key_id, ring = audit_keys()
    digest = event_digest(
        ticket_kind=kind, ticket_id=owner_id, seq=seq, actor_id=actor_id, action=action, data=clean,
        public=public, created_at=now, prev_hash=prev_hash, key=ring[key_id],
    )
    return clean, digest, key_id


def _event_build(
    *, ticket: TicketBase, seq: int, prev_hash: str, actor_id: int | None, action: str, data: dict[str, Any],
    now: datetime, public: bool,
) -> TicketEvent:
    """The unsaved event `seq` of `ticket`'s chain, following the event whose hash is `prev_hash`."""
    clean, digest, key_id = chain_sign(kind=ticket.KIND, owner_id=ticket.pk, seq=seq, prev_hash=prev_hash,
                                       actor_id=actor_id, action=action, data=data, now=now, public=public)
    return TicketEvent(
        ticket_kind=ticket.KIND, ticket_id=ticket.pk, seq=seq, actor_id=actor_id, action=action, data=clean,
        public=public, created_at=now, prev_hash=prev_hash, hash=digest, key_id=key_id,
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


def ticket_insert_created(*, ticket: TicketBase, actor: Any, data: dict[str, Any], now: datetime,
                          public: bool = True) -> TicketEvent:
    """Insert the new `ticket` and its "created" event: every kind's create ends here. When its id is
    already known (taken with its number: tickets.numbering.next_number_and_id), the row is written
    with the chain's head in it: two INSERTs instead of two INSERTs and an UPDATE of the ticket (issue
    19). Otherwise the ticket is inserted first and the event recorded as `event_record` does."""
    if ticket.pk is None:
        ticket.save(force_insert=True)
        return event_record(ticket=ticket, actor=actor, action=EventAction.CREATED, data=data, now=now, public=public)
    event = _event_build(ticket=ticket, seq=ticket.audit_seq + 1, prev_hash=ticket.audit_head,
                         actor_id=actor.pk if actor is not None else None, action=EventAction.CREATED, data=data,
                         now=now, public=public)
    ticket.audit_seq, ticket.audit_head = event.seq, event.hash
    ticket.save(force_insert=True)
    event.save(force_insert=True)
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


class BreakCategory:
    """The kinds of break verification reports (verify_audit, /api/v1/audit/verify/)."""

    EVENT_ALTERED = "event_altered"      # an event's content no longer matches its keyed hash
    CHAIN_BROKEN = "chain_broken"        # events missing, reordered, relinked, or the ticket's head moved
    ROW_DIFFERS = "row_differs"          # what people see (title, status, a comment …) differs from its event
    ANCHOR_MISMATCH = "anchor_mismatch"  # a published daily anchor no longer matches the history


@dataclass(frozen=True)
class ChainBreak:
    ticket_kind: str
    ticket_id: int
    seq: int | None
    event_id: int | None
    reason: str
    category: str = BreakCategory.CHAIN_BROKEN
    record: str = ""  # the visible row that differs, e.g. "comment 12" (ROW_DIFFERS only)

    def __str__(self) -> str:
        where = f"event #{self.event_id} (seq {self.seq})" if self.event_id else "ticket head"
        if self.record:
            where = f"{self.record} vs {where}" if self.event_id else self.record
        return f"{self.ticket_kind} {self.ticket_id}: {where}: [{self.category}] {self.reason}"


# Ticket columns checked against the last value an event recorded for them (created events carry
# the initial value; transitions and updates carry [old, new] under "status" / "changes").
CHECKED_FIELDS = ("title", "status", "fault_level", "priority")


@dataclass
class _Recorded:
    """What the events of one ticket say its visible rows hold."""

    fields: dict[str, tuple[Any, int, int]]  # field -> (value, event id, seq)
    timeline: dict[tuple[str, int], tuple[dict[str, Any], int, int]]  # (kind, row id) -> (values, event id, seq)


# Timeline rows and the event data that wrote them: action -> (row kind, id key, {column: data key}).
TIMELINE_EVENTS: dict[str, tuple[str, str, dict[str, str]]] = {
    "comment": ("comment", "comment", {"body": "body", "public": "public"}),
    "worklog": ("worklog", "worklog", {"note": "note", "minutes": "minutes", "work_date": "work_date"}),
    "attachment": ("attachment", "attachment", {"name": "name", "size": "size", "sha256": "sha256"}),
}


def _record(rec: _Recorded, ev: TicketEvent, checked: tuple[str, ...]) -> None:
    data = ev.data if isinstance(ev.data, dict) else {}
    if ev.action == "created":
        for name in checked:
            if name in data and name != "status":
                rec.fields[name] = (data[name], ev.pk, ev.seq)
    status = data.get("status")
    if "status" in checked and isinstance(status, list) and len(status) == 2:
        rec.fields["status"] = (status[1], ev.pk, ev.seq)
    changes = data.get("changes")
    if isinstance(changes, dict):
        for name in checked:
            change = changes.get(name)
            if isinstance(change, list) and len(change) == 2:
                rec.fields[name] = (change[1], ev.pk, ev.seq)
    spec = TIMELINE_EVENTS.get(ev.action)
    if spec is not None and isinstance(data.get(spec[1]), int):
        values = {column: data.get(key) for column, key in spec[2].items()}
        rec.timeline[(spec[0], data[spec[1]])] = (values, ev.pk, ev.seq)


def _timeline_rows(kind: str, ticket_ids: list[int]) -> Iterator[tuple[str, int, int, dict[str, Any]]]:
    """(row kind, ticket id, row id, values as the event records them) of every timeline row."""
    for row in Comment.objects.filter(ticket_kind=kind, ticket_id__in=ticket_ids).order_by().values(
            "pk", "ticket_id", "body", "public").iterator(chunk_size=2000):
        yield "comment", row["ticket_id"], row["pk"], {"body": row["body"], "public": row["public"]}
    for log in WorkLog.objects.filter(ticket_kind=kind, ticket_id__in=ticket_ids).order_by().values(
            "pk", "ticket_id", "note", "minutes", "work_date").iterator(chunk_size=2000):
        yield "worklog", log["ticket_id"], log["pk"], normalise(
            {"note": log["note"], "minutes": log["minutes"], "work_date": log["work_date"]})
    for file in Attachment.objects.filter(ticket_kind=kind, ticket_id__in=ticket_ids).order_by().values(
            "pk", "ticket_id", "name", "size", "sha256").iterator(chunk_size=2000):
        yield "attachment", file["ticket_id"], file["pk"], {"name": file["name"], "size": file["size"],
                                                            "sha256": file["sha256"]}


def _rows_verify(
    *, kind: str, rows: list[dict[str, Any]], checked: tuple[str, ...], recorded: dict[int, _Recorded],
) -> Iterator[ChainBreak]:
    """Compare the visible rows of these tickets with what their events recorded."""
    for row in rows:
        rec = recorded.get(row["pk"])
        for name in checked:
            if rec is None or name not in rec.fields:
                continue
            value, event_id, seq = rec.fields[name]
            if normalise({"v": row[name]})["v"] != value:
                yield ChainBreak(kind, row["pk"], seq, event_id,
                                 f"{name} is {row[name]!r} but the event recorded {value!r}",
                                 BreakCategory.ROW_DIFFERS, f"{kind} {row['pk']} {name}")
    seen: set[tuple[str, int]] = set()
    for row_kind, ticket_id, row_id, values in _timeline_rows(kind, [row["pk"] for row in rows]):
        rec = recorded.get(ticket_id)
        entry = rec.timeline.get((row_kind, row_id)) if rec else None
        seen.add((row_kind, row_id))
        if entry is None:
            yield ChainBreak(kind, ticket_id, None, None, "no event of this ticket recorded this row",
                             BreakCategory.ROW_DIFFERS, f"{row_kind} {row_id}")
            continue
        expected, event_id, seq = entry
        differing = sorted(column for column, value in values.items() if expected.get(column) != value)
        if differing:
            yield ChainBreak(kind, ticket_id, seq, event_id,
                             f"{', '.join(differing)} differ(s) from what the event recorded",
                             BreakCategory.ROW_DIFFERS, f"{row_kind} {row_id}")
    for ticket_id, rec in recorded.items():
        for (row_kind, row_id), (_values, event_id, seq) in rec.timeline.items():
            if (row_kind, row_id) not in seen:
                yield ChainBreak(kind, ticket_id, seq, event_id, "the row this event recorded is gone",
                                 BreakCategory.ROW_DIFFERS, f"{row_kind} {row_id}")


class ChainEvent(Protocol):
    """What a chain check reads of an event (TicketEvent, DocumentEvent)."""

    seq: int
    prev_hash: str
    hash: str
    key_id: str
    actor_id: int | None
    action: str
    data: Any
    created_at: datetime


def link_check(
    *, kind: str, owner_id: int, event: ChainEvent, prev_seq: int, prev_hash: str, keyed_before: bool,
    ring: dict[str, bytes], public: bool = False,
) -> tuple[str, str] | None:
    """(category, reason) when `event` does not follow the event (prev_seq, prev_hash) of the chain of
    `kind` `owner_id` or no longer matches its keyed hash; None when it holds. `keyed_before`: an
    earlier event of this chain was keyed (an unkeyed one after it is a downgrade). `ring`: the keys
    by id (audit_keys()). `public`: the event's public flag (ticket events; other chains sign False)."""
    if event.seq != prev_seq + 1:
        return BreakCategory.CHAIN_BROKEN, f"expected seq {prev_seq + 1}: an event is missing or out of order"
    if event.prev_hash != prev_hash:
        return BreakCategory.CHAIN_BROKEN, "prev_hash does not match the previous event"
    if event.key_id and event.key_id not in ring:
        return (BreakCategory.EVENT_ALTERED,
                f"signed with key id {event.key_id!r}, which is not configured (AUDIT_HMAC_OLD_KEYS)")
    if not event.key_id and keyed_before:
        return BreakCategory.EVENT_ALTERED, "content was altered (an unkeyed event after keyed ones)"
    expected = event_digest(
        ticket_kind=kind, ticket_id=owner_id, seq=event.seq, actor_id=event.actor_id, action=event.action,
        data=event.data, public=public,
        created_at=event.created_at, prev_hash=event.prev_hash, key=ring[event.key_id] if event.key_id else None,
    )
    if not hmac.compare_digest(expected, event.hash):
        return BreakCategory.EVENT_ALTERED, "content was altered (hash mismatch)"
    return None


def chain_verify(
    *, ticket_model: type[TicketBase], ticket_ids: list[int] | None = None, batch: int = 2000,
) -> Iterator[ChainBreak]:
    """Yield every break in the chains of `ticket_model` (all tickets, or the ids given), then every
    visible row that differs from the event that wrote it."""
    kind = ticket_model.KIND
    _current, ring = audit_keys()
    concrete = {f.name for f in ticket_model._meta.concrete_fields}
    checked = tuple(name for name in CHECKED_FIELDS if name in concrete)
    tickets = ticket_model.objects.order_by("pk").values("pk", "audit_seq", "audit_head", *checked)
    if ticket_ids is not None:
        tickets = tickets.filter(pk__in=ticket_ids)
    last_pk = 0
    while True:
        chunk = list(tickets.filter(pk__gt=last_pk)[:batch])
        if not chunk:
            return
        last_pk = chunk[-1]["pk"]
        heads = {row["pk"]: (row["audit_seq"], row["audit_head"]) for row in chunk}
        events = (
            TicketEvent.objects.filter(ticket_kind=kind, ticket_id__in=list(heads))
            .order_by("ticket_id", "seq").iterator(chunk_size=5000)
        )
        state: dict[int, tuple[int, str]] = {}
        keyed: set[int] = set()  # tickets whose chain already had a keyed event
        recorded: dict[int, _Recorded] = {}
        for ev in events:
            prev_seq, prev_hash = state.get(ev.ticket_id, (0, ""))
            problem = link_check(kind=kind, owner_id=ev.ticket_id, event=ev, prev_seq=prev_seq, prev_hash=prev_hash,
                                 keyed_before=ev.ticket_id in keyed, ring=ring, public=ev.public)
            if problem is not None:
                yield ChainBreak(kind, ev.ticket_id, ev.seq, ev.pk, problem[1], problem[0])
            if ev.key_id:
                keyed.add(ev.ticket_id)
            state[ev.ticket_id] = (ev.seq, ev.hash)
            _record(recorded.setdefault(ev.ticket_id, _Recorded({}, {})), ev, checked)
        for pk, (seq, head) in heads.items():
            got = state.get(pk, (0, ""))
            if got != (seq, head):
                yield ChainBreak(kind, pk, None, None, f"head says seq {seq}, chain ends at seq {got[0]}: events removed or head altered")
        yield from _rows_verify(kind=kind, rows=chunk, checked=checked, recorded=recorded)
