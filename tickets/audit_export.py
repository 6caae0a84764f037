"""The auditor's export (监理, issue #16): one organisation's raw records with the daily audit anchor
that proves them unaltered, as CSV or Excel — and the check of such an export.

What is in it (as of one anchor: every record created before the end of the anchor's day):
- `anchor`: the anchor (organisation, day, digest, previous digest) the customer also holds;
- `head`: the head (kind, ticket, seq, hash) of every history chain of the organisation at that
  cutoff — exactly what the anchor's digest is computed over (tickets/anchors.py), so anyone
  recomputes the digest from these rows with SHA-256 alone, no key;
- `event` / `event_withheld`: the history chain of every ticket the customer may see (incidents and
  requests). Public events in full (the digest's input: actor id, action, data, public flag, UTC time
  to the microsecond); internal events with their links and hash only (what an internal comment said
  is not the customer's), so the chain still links from the first event to the head.

Verification (`export_verify`): without the key, the chain links (seq 1…n, each prev_hash is the
previous hash, the last hash is the listed head) and the anchor digest over the heads; with the
server's key ring (`manage.py audit_export_verify FILE`), every public event's keyed hash
recomputed from its content, every withheld event's hash against the stored one, and the anchor
against the stored anchor. A changed cell breaks one of these.

Every text cell is written through opsdesk.spreadsheets (formula injection) and read back through
its inverse, so the check reads exactly what was exported."""

from __future__ import annotations

import csv
import hmac
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook

from opsdesk.spreadsheets import csv_row, csv_text, xlsx_row

from .anchors import anchor_cutoff, anchor_digest, anchor_heads
from .audit import audit_keys, event_digest, ticket_models
from .choices import TicketKind
from .models import AuditAnchor, SLAClock, TicketBase, TicketEvent, WorkLog

EXPORT_FORMAT = "opsdesk-audit-export-v1"
VISIBLE_KINDS = (TicketKind.INCIDENT, TicketKind.REQUEST)  # what the customer's portal shows
EVENT_COLUMNS = ["record", "kind", "ticket_id", "number", "seq", "time_utc", "actor_id", "actor", "action",
                 "public", "data", "prev_hash", "hash", "key_id"]
SECTIONS = ("events", "tickets", "clocks", "worklogs")


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def visible_tickets(*, user: Any) -> dict[str, QuerySet[Any]]:
    """The tickets of the kinds the portal shows, through the tenancy choke point (visible_to)."""
    models = ticket_models()
    return {kind: models[kind].objects.visible_to(user).order_by("pk") for kind in VISIBLE_KINDS if kind in models}


def _local(moment: datetime | None, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


@dataclass
class AuditExport:
    """The rows of every section of one export, built once."""

    anchor: AuditAnchor
    sections: dict[str, tuple[list[str], list[list[Any]]]] = field(default_factory=dict)


def _event_rows(*, anchor: AuditAnchor, tickets: dict[str, QuerySet[Any]]) -> Iterator[list[Any]]:
    yield ["anchor", "", anchor.organization_id, anchor.day.isoformat(), 0, _utc(anchor.cutoff), "", "", "",
           "", _canonical({"format": EXPORT_FORMAT, "tickets": anchor.tickets, "events": anchor.events}),
           anchor.prev_digest, anchor.digest, ""]
    for kind, ticket_id, seq, head in anchor_heads(organization_id=anchor.organization_id, day=anchor.day):
        yield ["head", kind, ticket_id, "", seq, "", "", "", "", "", "", "", head, ""]
    cutoff = anchor_cutoff(anchor.day)
    for kind, qs in tickets.items():
        numbers = dict(qs.values_list("pk", "number"))
        events = (TicketEvent.objects.filter(ticket_kind=kind, ticket_id__in=list(numbers), created_at__lt=cutoff)
                  .select_related("actor").order_by("ticket_id", "seq"))
        for ev in events.iterator(chunk_size=2000):
            actor = ev.actor.display_name if ev.actor else ""
            if ev.public:
                yield ["event", kind, ev.ticket_id, numbers[ev.ticket_id], ev.seq, _utc(ev.created_at),
                       "" if ev.actor_id is None else ev.actor_id, actor, ev.action, "true", _canonical(ev.data),
                       ev.prev_hash, ev.hash, ev.key_id]
            else:
                yield ["event_withheld", kind, ev.ticket_id, numbers[ev.ticket_id], ev.seq, _utc(ev.created_at),
                       "", "", ev.action, "false", "", ev.prev_hash, ev.hash, ev.key_id]


def audit_export_build(*, user: Any, anchor: AuditAnchor) -> AuditExport:
    """Every section of the export of `anchor`'s organisation for `user` (the caller has checked the
    user may see the anchor: audit_anchor_get)."""
    tickets = visible_tickets(user=user)
    tz = ZoneInfo(anchor.organization.time_zone)
    cutoff = anchor_cutoff(anchor.day)
    export = AuditExport(anchor=anchor)
    export.sections["events"] = (EVENT_COLUMNS, list(_event_rows(anchor=anchor, tickets=tickets)))
    ticket_rows: list[list[Any]] = []
    clock_rows: list[list[Any]] = []
    log_rows: list[list[Any]] = []
    for kind, qs in tickets.items():
        rows = list(qs.filter(reported_at__lt=cutoff))
        by_id: dict[int, TicketBase] = {t.pk: t for t in rows}
        for t in rows:
            status = t.get_status_display() if hasattr(t, "get_status_display") else ""
            level = getattr(t, "fault_level", "") or getattr(t, "priority", "")
            ticket_rows.append([t.number, str(TicketKind(kind).label), t.title, status, level,
                                _local(t.reported_at, tz), _local(t.resolved_at, tz), _local(t.closed_at, tz),
                                t.audit_seq, t.audit_head])
        clocks = SLAClock.objects.filter(ticket_kind=kind, ticket_id__in=list(by_id)).order_by("ticket_id", "target")
        for c in clocks:
            clock_rows.append([by_id[c.ticket_id].number, c.get_target_display(), c.get_clock_display(),
                               c.get_state_display(), _local(c.started_at, tz), _local(c.due_at, tz),
                               _local(c.paused_at, tz), _local(c.met_at, tz), _local(c.breached_at, tz),
                               c.escalations])
        logs = (WorkLog.objects.filter(ticket_kind=kind, ticket_id__in=list(by_id), created_at__lt=cutoff)
                .select_related("author").order_by("ticket_id", "work_date", "pk"))
        for log in logs:
            log_rows.append([by_id[log.ticket_id].number, log.work_date.isoformat(),
                             log.author.display_name if log.author else "", log.minutes])
    export.sections["tickets"] = ([_("Number"), _("Type"), _("Title"), _("Status"), _("Level"), _("Reported at"),
                                   _("Resolved at"), _("Closed at"), _("History length"), _("History head")],
                                  ticket_rows)
    export.sections["clocks"] = ([_("Number"), _("Target"), _("Clock"), _("State"), _("Started at"), _("Due at"),
                                  _("Paused at"), _("Met at"), _("Breached at"), _("Escalations")], clock_rows)
    export.sections["worklogs"] = ([_("Number"), _("Work date"), _("Engineer"), _("Minutes")], log_rows)
    return export


def export_csv(export: AuditExport, section: str) -> str:
    """One section as CSV text (the `events` section is the one that verifies)."""
    header, rows = export.sections[section]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(csv_row(str(h) for h in header))
    for row in rows:
        writer.writerow(csv_row(row))
    return out.getvalue()


SHEET_TITLES = {"events": "events", "tickets": "tickets", "clocks": "sla_clocks", "worklogs": "work_logs"}


def export_xlsx(export: AuditExport) -> bytes:
    """Every section as one workbook (sheet `events` first: the one that verifies)."""
    wb = Workbook(write_only=True)
    for section in SECTIONS:
        header, rows = export.sections[section]
        ws = wb.create_sheet(SHEET_TITLES[section])
        ws.append(xlsx_row(ws, [str(h) for h in header]))
        for row in rows:
            ws.append(xlsx_row(ws, row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- reading an export back and checking it ------------------------------------------------------

def read_events_csv(text: str) -> list[dict[str, str]]:
    reader = csv.reader(io.StringIO(text))
    header = [csv_text(h) for h in next(reader, [])]
    return [dict(zip(header, (csv_text(v) for v in row), strict=False)) for row in reader]


def read_events_xlsx(content: bytes) -> list[dict[str, str]]:
    wb = load_workbook(io.BytesIO(content), read_only=True)
    ws = wb[SHEET_TITLES["events"]]
    rows = ws.iter_rows(values_only=True)
    header = [str(h) for h in next(rows, ())]
    return [{h: "" if v is None else str(v) for h, v in zip(header, row, strict=False)} for row in rows]


def read_export(path_or_bytes: str | bytes, *, name: str = "") -> list[dict[str, str]]:
    content = path_or_bytes if isinstance(path_or_bytes, bytes) else open(path_or_bytes, "rb").read()  # noqa: SIM115
    if (name or str(path_or_bytes)[:200]).lower().endswith(".xlsx") or content[:2] == b"PK":
        return read_events_xlsx(content)
    return read_events_csv(content.decode("utf-8-sig"))


@dataclass
class ExportCheck:
    problems: list[str] = field(default_factory=list)
    events: int = 0
    heads: int = 0
    organization_id: int | None = None
    day: date | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def export_verify(rows: Iterable[dict[str, str]], *, keyed: bool = True) -> ExportCheck:
    """Check the `events` rows of an export. keyed=False: only what needs no key (chain links, the
    anchor digest over the heads); keyed=True (on the server): also every event's hash and the anchor
    against the stored ones."""
    check = ExportCheck()
    rows = list(rows)
    anchors = [r for r in rows if r.get("record") == "anchor"]
    if len(anchors) != 1:
        check.problems.append("the export must hold exactly one anchor row")
        return check
    anchor_row = anchors[0]
    try:
        check.organization_id = int(anchor_row["ticket_id"])
        check.day = date.fromisoformat(anchor_row["number"])
    except (KeyError, ValueError):
        check.problems.append("the anchor row is unreadable")
        return check
    heads: list[tuple[str, int, int, str]] = []
    chains: dict[tuple[str, int], list[dict[str, str]]] = {}
    for r in rows:
        try:
            if r.get("record") == "head":
                heads.append((r["kind"], int(r["ticket_id"]), int(r["seq"]), r["hash"]))
            elif r.get("record") in ("event", "event_withheld"):
                chains.setdefault((r["kind"], int(r["ticket_id"])), []).append(r)
        except (KeyError, ValueError):
            check.problems.append(f"unreadable row: {r}")
    check.heads = len(heads)
    figures = anchor_digest(organization_id=check.organization_id, day=check.day,
                            prev_digest=anchor_row.get("prev_hash", ""), heads=heads)
    if not hmac.compare_digest(figures.digest, anchor_row.get("hash", "")):
        check.problems.append("the heads do not recompute the anchor digest")
    head_of = {(kind, tid): (seq, h) for kind, tid, seq, h in heads}
    for (kind, tid), events in chains.items():
        prev_seq, prev_hash = 0, ""
        for r in events:
            check.events += 1
            if int(r["seq"]) != prev_seq + 1 or r["prev_hash"] != prev_hash:
                check.problems.append(f"{kind} {tid} seq {r['seq']}: does not follow the previous event")
            prev_seq, prev_hash = int(r["seq"]), r["hash"]
        if head_of.get((kind, tid)) != (prev_seq, prev_hash):
            check.problems.append(f"{kind} {tid}: the last event is not the head the anchor covers")
    if keyed:
        _verify_keyed(check, anchor_row, chains)
    return check


def _verify_keyed(check: ExportCheck, anchor_row: dict[str, str],
                  chains: dict[tuple[str, int], list[dict[str, str]]]) -> None:
    if check.organization_id is None or check.day is None:
        return
    stored = AuditAnchor.objects.filter(organization_id=check.organization_id, day=check.day).first()
    if stored is None or stored.digest != anchor_row.get("hash") or stored.prev_digest != anchor_row.get("prev_hash"):
        check.problems.append("the anchor differs from the anchor the desk published")
    _current, ring = audit_keys()
    for (kind, tid), events in chains.items():
        stored_hashes = dict(TicketEvent.objects.filter(ticket_kind=kind, ticket_id=tid).values_list("seq", "hash"))
        for r in events:
            seq = int(r["seq"])
            if stored_hashes.get(seq) != r["hash"]:
                check.problems.append(f"{kind} {tid} seq {seq}: hash differs from the stored event")
            if r["record"] == "event_withheld":
                continue
            key_id = r.get("key_id", "")
            if key_id and key_id not in ring:
                check.problems.append(f"{kind} {tid} seq {seq}: signed with unknown key {key_id!r}")
                continue
            try:
                data = json.loads(r["data"])
                actor_id = int(r["actor_id"]) if r["actor_id"] else None
                expected = event_digest(
                    ticket_kind=kind, ticket_id=tid, seq=seq, actor_id=actor_id, action=r["action"], data=data,
                    public=r["public"] == "true", created_at=datetime.fromisoformat(r["time_utc"]),
                    prev_hash=r["prev_hash"], key=ring[key_id] if key_id else None)
            except (ValueError, KeyError):
                check.problems.append(f"{kind} {tid} seq {seq}: unreadable content")
                continue
            if not hmac.compare_digest(expected, r["hash"]):
                check.problems.append(f"{kind} {tid} seq {seq}: content was altered (hash mismatch)")
