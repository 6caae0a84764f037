"""The lean ingest path (issue 13): sources in *queued* mode.

The receiver authenticates from a process cache, parses (a malformed body is still a synchronous
400), writes the raw body with ONE insert into the append-only inbox (`InboxItem`; a retry of the
same body while it is queued is a no-op) and answers 202. `inbox_process` (Celery task
`monitoring.inbox_process_task`, kicked by the receivers at most every INBOX_KICK_SECONDS per process
and by beat every few seconds) turns queued items into alerts in batches through the same
`alerts_ingest` (rules, dedup, flapping, correlation, flood cap), writes their inbound-log rows in one
insert, and marks them processed. One bad item never stops the queue: a batch that fails is
retried item by item, each in its own transaction, and the failing item is marked failed with the
reason (admin → Alert inbox).

One processor runs at a time (a PostgreSQL advisory lock), so items of one source are handled in
arrival order; a fingerprint's firing and resolved in one batch are never merged (the batch is cut
where an alert changes state)."""

from __future__ import annotations

import hashlib
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from opsdesk.queueing import task_queue

from .choices import InboundOutcome, InboxState
from .models import AlertSource, InboundLog, InboxItem
from .payloads import Alert, PayloadError, parse
from .services import MAX_RAW_BODY, OUTCOME_FIELDS, IngestResult, alerts_ingest

logger = logging.getLogger(__name__)

INBOX_LOCK = 0x6F70_6D6F  # pg advisory lock key: one inbox processor at a time
BATCH_SIZE = 500
MAX_ATTEMPTS = 5
_last_kick = [0.0]


_INSERT = (
    "INSERT INTO monitoring_inboxitem (source_id, received_at, remote_addr, digest, body, state, attempts,"
    " message, incident_number) {values}"
    " ON CONFLICT (source_id, digest) WHERE state = 'queued' DO NOTHING RETURNING id")
_INSERT_DURABLE = _INSERT.format(values="VALUES (%s, %s, %s, %s, %s, 'queued', 0, '', '')")
# The same insert, its (implicit, autocommit) transaction committed without waiting for the WAL flush:
# set_config(..., is_local => true) is `SET LOCAL synchronous_commit TO OFF` inside the statement
# itself, so it stays ONE round trip (no BEGIN/SET/COMMIT).
_INSERT_ASYNC = ("WITH async_commit AS (SELECT set_config('synchronous_commit', 'off', true))"
                 + _INSERT.format(values="SELECT %s, %s, %s, %s, %s, 'queued', 0, '', '' FROM async_commit"))


def inbox_item_add(*, source: AlertSource, raw: bytes, remote_addr: str, now: datetime) -> int | None:
    """ONE insert (autocommit): the request's raw body, queued. None when the same body of this
    source is already queued (a sender's retry).

    With MONITORING_INBOX_ASYNC_COMMIT (the default) the insert's commit does not wait for the WAL
    flush (`synchronous_commit = off` for this transaction only): if PostgreSQL itself crashes, the
    alerts accepted in the last ~0.6 s (3 × wal_writer_delay) are lost although answered 202 — never a
    corrupt database, and Alertmanager re-sends its groups. The rest of the desk stays durable."""
    digest = hashlib.sha256(raw).hexdigest()
    asynchronous = getattr(settings, "MONITORING_INBOX_ASYNC_COMMIT", True) and connection.vendor == "postgresql"
    sql = _INSERT_ASYNC if asynchronous else _INSERT_DURABLE  # SQLite (scripts/run) has no synchronous_commit
    with connection.cursor() as cursor:
        cursor.execute(sql, [source.pk, now, remote_addr[:64], digest, raw.decode("utf-8", errors="replace")])
        row = cursor.fetchone()
    return int(row[0]) if row else None


def inbox_kick() -> None:
    """Queue the processor, at most once every INBOX_KICK_SECONDS per process (beat is the safety net)."""
    interval = float(getattr(settings, "MONITORING_INBOX_KICK_SECONDS", 0.5))
    clock = time.monotonic()
    if clock - _last_kick[0] < interval:
        return
    _last_kick[0] = clock
    try:
        from . import tasks  # noqa: F401 - registers the task in this process (autodiscovery may not have run)

        task_queue("monitoring.inbox_process_task")
    except Exception:  # noqa: BLE001 - the item is stored; beat will process it
        logger.exception("monitoring: could not queue the inbox processor")


@dataclass
class _Chunk:
    source: AlertSource
    items: list[tuple[InboxItem, list[Alert]]] = field(default_factory=list)
    states: dict[str, bool] = field(default_factory=dict)
    alerts: int = 0

    def fits(self, alerts: list[Alert]) -> bool:
        """No fingerprint changes state inside a chunk (its firing and resolved stay in order)."""
        return self.alerts + len(alerts) <= 5000 and all(
            self.states.get(a.fingerprint, a.firing) == a.firing for a in alerts)

    def add(self, item: InboxItem, alerts: list[Alert]) -> None:
        self.items.append((item, alerts))
        self.alerts += len(alerts)
        for alert in alerts:
            self.states[alert.fingerprint] = alert.firing


def _log_row(item: InboxItem, *, alerts: int, counts: dict[str, int], message: str, ok: bool) -> InboundLog:
    return InboundLog(
        received_at=item.received_at, endpoint=item.source.kind, source=item.source, remote_addr=item.remote_addr,
        status_code=202, outcome=InboundOutcome.ACCEPTED if ok else InboundOutcome.ERROR, message=message[:2000],
        raw_body=item.body[:MAX_RAW_BODY], alerts=alerts, **counts)


def _chunk_ingest(chunk: _Chunk, now: datetime) -> None:
    """The chunk's alerts in one alerts_ingest call, its items marked done and logged (one insert)."""
    alerts = [a for _item, item_alerts in chunk.items for a in item_alerts]
    at = max(item.received_at for item, _alerts in chunk.items)
    result: IngestResult = alerts_ingest(source=chunk.source, alerts=alerts, now=at)
    by_fingerprint = {o.fingerprint: o for o in result.outcomes}
    seen: set[str] = set()
    logs: list[InboundLog] = []
    done: list[InboxItem] = []
    for item, item_alerts in chunk.items:
        counts: dict[str, int] = defaultdict(int)
        failures: list[str] = []
        number = ""
        for alert in item_alerts:
            outcome = by_fingerprint.get(alert.fingerprint)
            action = "repeated" if outcome is None or alert.fingerprint in seen else outcome.action
            seen.add(alert.fingerprint)
            counts[OUTCOME_FIELDS[action]] += 1
            if outcome is not None and outcome.action == "failed" and outcome.message:
                failures.append(f"{alert.fingerprint}: {outcome.message}")
            if outcome is not None and outcome.incident is not None and not number:
                number = outcome.incident.number
        logs.append(_log_row(item, alerts=len(item_alerts), counts=counts, message="\n".join(failures), ok=True))
        item.incident_number = number
        done.append(item)
    InboundLog.objects.bulk_create(logs)
    _mark_done(done, now)


def _mark_done(items: list[InboxItem], now: datetime) -> None:
    """Every item of the chunk done, with its incident number: one UPDATE … FROM (VALUES …)."""
    if not items:
        return
    if connection.vendor != "postgresql":  # SQLite (scripts/run): one UPDATE per item
        for item in items:
            InboxItem.objects.filter(pk=item.pk).update(state=InboxState.DONE, processed_at=now,
                                                        attempts=F("attempts") + 1,
                                                        incident_number=item.incident_number)
        return
    rows = ", ".join(["(%s::bigint, %s)"] * len(items))
    params: list[Any] = [now]
    for item in items:
        params += [item.pk, item.incident_number]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE monitoring_inboxitem AS i SET state = 'done', processed_at = %s, attempts = i.attempts + 1,"
            f" incident_number = v.number FROM (VALUES {rows}) AS v(id, number) WHERE i.id = v.id",  # noqa: S608
            params)


def _fail(item: InboxItem, message: str, now: datetime, *, final: bool) -> None:
    with transaction.atomic():
        InboxItem.objects.filter(pk=item.pk).update(
            state=InboxState.FAILED if final else InboxState.QUEUED, processed_at=now if final else None,
            attempts=item.attempts + 1, message=message[:2000])
        if final:
            InboundLog.objects.bulk_create([_log_row(item, alerts=0, counts={"failed": 1}, message=message,
                                                     ok=False)])


def _batch(items: list[InboxItem], now: datetime, totals: dict[str, int]) -> None:
    chunks: list[_Chunk] = []
    open_chunk: dict[int, _Chunk] = {}
    for item in items:
        try:
            alerts = parse(item.source.kind, item.body.encode("utf-8"))
        except PayloadError as exc:  # accepted once by the receiver; a changed parser may refuse it now
            _fail(item, str(exc), now, final=True)
            totals["failed"] += 1
            continue
        chunk = open_chunk.get(item.source_id)
        if chunk is None or not chunk.fits(alerts):
            chunk = _Chunk(source=item.source)
            chunks.append(chunk)
            open_chunk[item.source_id] = chunk
        chunk.add(item, alerts)
    for chunk in chunks:
        try:
            with transaction.atomic():
                _chunk_ingest(chunk, now)
            totals["done"] += len(chunk.items)
            continue
        except Exception:  # noqa: BLE001 - one bad item must not stop the queue: retry one by one
            logger.exception("monitoring inbox: a batch of %s items failed; retrying them one by one",
                             len(chunk.items))
        for item, alerts in chunk.items:
            single = _Chunk(source=chunk.source)
            single.add(item, alerts)
            try:
                with transaction.atomic():
                    _chunk_ingest(single, now)
                totals["done"] += 1
            except Exception as exc:  # noqa: BLE001 - recorded on the item; the queue goes on
                final = item.attempts + 1 >= MAX_ATTEMPTS
                _fail(item, f"{type(exc).__name__}: {exc}", now, final=final)
                totals["failed" if final else "retry"] += 1


def inbox_process(*, batch_size: int = BATCH_SIZE, max_batches: int = 1000) -> dict[str, int]:
    """Process queued items in arrival order until none is left (or max_batches). Safe to run from
    several workers at once: only one holds the advisory lock, the others return at once. SQLite (the
    single-machine mode of scripts/run: one worker, writes serialised by the database) has no advisory
    locks and needs none."""
    totals: dict[str, int] = defaultdict(int)
    locking = connection.vendor == "postgresql"
    if locking:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [INBOX_LOCK])
            if not cursor.fetchone()[0]:
                return {"busy": 1}
    try:
        retried: set[int] = set()
        for _n in range(max_batches):
            items = list(InboxItem.objects.filter(state=InboxState.QUEUED).exclude(pk__in=retried)
                         .select_related("source").order_by("id")[:batch_size])
            if not items:
                break
            _batch(items, timezone.now(), totals)
            # Items put back for a later try are left for the next run (not spun on now).
            retried |= set(InboxItem.objects.filter(pk__in=[i.pk for i in items], state=InboxState.QUEUED)
                           .values_list("pk", flat=True))
    finally:
        if locking:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [INBOX_LOCK])
    return dict(totals)


def inbox_backlog() -> int:
    return InboxItem.objects.filter(state=InboxState.QUEUED).count()
