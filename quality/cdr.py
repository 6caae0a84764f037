"""Parsing a phone system's call-detail-record (CDR) export into rows for `PhoneCall` (no writes here;
`quality.services.phone_calls_import` stores them).

Two layouts are read (docs/reports.md, "Hotline connect rate"):

1. **Asterisk `Master.csv`** (cdr_csv, no header line), by position:
   0 accountcode, 1 src (caller), 2 dst (dialled), 3 dcontext, 4 clid, 5 channel, 6 dstchannel,
   7 lastapp, 8 lastdata, 9 start, 10 answer, 11 end, 12 duration, 13 billsec, 14 disposition,
   15 amaflags, 16 uniqueid (when `loguniqueid` is on), 17 userfield.
   Without a uniqueid the call id is a digest of start, src, dst, channel and dstchannel.
2. **Any CSV with a header line** naming at least a start time and a disposition; recognised names
   (case-insensitive): call id = `uniqueid`/`call_id`/`callid`/`id`; start = `start`/`calldate`/
   `started_at`/`time`; caller = `src`/`caller`/`from`; dialled = `dst`/`dialled`/`to`;
   disposition = `disposition`/`status`/`result`; duration = `duration`; talk time = `billsec`/`talk_seconds`.

Dispositions: ANSWERED → answered; NO ANSWER / NOANSWER / MISSED → no answer; BUSY → busy;
FAILED / CONGESTION / CANCEL → failed; anything else is an error for that line. Times without a zone
are the organisation's wall clock. One call id appearing on several lines of one file (ring groups
write a leg per phone) is one call: answered if any leg was.

Cells are hostile: control characters are removed, lengths cut to the model's, numbers outside
0…10⁷ seconds and unreadable times make that line an error (reported by line number), never a 500.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from .choices import CallDisposition

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_LINES = 200_000
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
DISPOSITIONS = {
    "ANSWERED": CallDisposition.ANSWERED, "ANSWER": CallDisposition.ANSWERED,
    "NO ANSWER": CallDisposition.NO_ANSWER, "NOANSWER": CallDisposition.NO_ANSWER,
    "NO_ANSWER": CallDisposition.NO_ANSWER, "MISSED": CallDisposition.NO_ANSWER,
    "BUSY": CallDisposition.BUSY,
    "FAILED": CallDisposition.FAILED, "CONGESTION": CallDisposition.FAILED, "CANCEL": CallDisposition.FAILED,
}
HEADER_NAMES = {
    "call_id": ("uniqueid", "call_id", "callid", "id"),
    "start": ("start", "calldate", "started_at", "time"),
    "caller": ("src", "caller", "from"),
    "dialled": ("dst", "dialled", "to"),
    "disposition": ("disposition", "status", "result"),
    "duration": ("duration",),
    "talk": ("billsec", "talk_seconds"),
}
TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")


@dataclass(frozen=True)
class ParsedCall:
    line: int
    call_id: str
    started_at: datetime
    caller: str
    dialled: str
    disposition: str
    duration_seconds: int
    talk_seconds: int


def clean_cell(value: Any, limit: int) -> str:
    return CONTROL.sub("", str(value or "")).strip()[:limit]


def decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _time(value: str, zone: ZoneInfo) -> datetime:
    value = value.strip()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = None
        for fmt in TIME_FORMATS:
            try:
                parsed = datetime.strptime(value, fmt)  # noqa: DTZ007 (the zone is added below)
                break
            except ValueError:
                continue
    if parsed is None or not 2000 <= parsed.year <= 2100:
        raise ValueError(_("unreadable start time %(value)s") % {"value": value[:40]})
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=zone)


def _seconds(value: str) -> int:
    value = (value or "").strip()
    if not value:
        return 0
    if not value.isdigit() or int(value) > 10_000_000:
        raise ValueError(_("not a number of seconds: %(value)s") % {"value": value[:20]})
    return int(value)


def _disposition(value: str) -> str:
    key = " ".join(value.strip().upper().replace("-", " ").split())
    if key not in DISPOSITIONS:
        raise ValueError(_("unknown disposition %(value)s") % {"value": value[:20]})
    return DISPOSITIONS[key]


def _header_map(row: list[str]) -> dict[str, int] | None:
    names = [clean_cell(c, 40).lower() for c in row]
    found = {}
    for key, aliases in HEADER_NAMES.items():
        for i, name in enumerate(names):
            if name in aliases:
                found[key] = i
                break
    return found if "start" in found and "disposition" in found else None


def _digest(*parts: str) -> str:
    return "cdr-" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]


def parse_cdr(data: bytes, *, zone: ZoneInfo) -> tuple[list[ParsedCall], list[tuple[int, str]]]:
    """The calls of a CDR file (one per call id, see the module's rules) and the errors by line."""
    if len(data) > MAX_FILE_BYTES:
        return [], [(0, _("The file is larger than %(n)s MB.") % {"n": MAX_FILE_BYTES // (1024 * 1024)})]
    reader = csv.reader(io.StringIO(decode(data), newline=""))
    calls: dict[str, ParsedCall] = {}
    errors: list[tuple[int, str]] = []
    header: dict[str, int] | None = None
    try:
        for number, row in enumerate(reader, start=1):
            if number > MAX_LINES:
                errors.append((number, _("Only the first %(n)s lines are read.") % {"n": MAX_LINES}))
                break
            if not row or all(not c.strip() for c in row):
                continue
            if number == 1:
                header = _header_map(row)
                if header is not None:
                    continue
            try:
                call = _row(row, number, header, zone)
            except (ValueError, IndexError) as exc:
                message = str(exc) if isinstance(exc, ValueError) else _("too few columns")
                errors.append((number, message))
                continue
            seen = calls.get(call.call_id)
            if seen is None or (call.disposition == CallDisposition.ANSWERED
                                and seen.disposition != CallDisposition.ANSWERED):
                calls[call.call_id] = call
    except csv.Error as exc:
        errors.append((reader.line_num, _("not a CSV file: %(error)s") % {"error": str(exc)[:80]}))
    return list(calls.values()), errors


def _row(row: list[str], number: int, header: dict[str, int] | None, zone: ZoneInfo) -> ParsedCall:
    if header is not None:
        def cell(key: str, limit: int = 150) -> str:
            i = header.get(key)
            return clean_cell(row[i], limit) if i is not None and i < len(row) else ""
        start = _time(cell("start"), zone)
        caller, dialled = cell("caller", 80), cell("dialled", 80)
        call_id = cell("call_id") or _digest(start.isoformat(), caller, dialled)
        return ParsedCall(line=number, call_id=call_id, started_at=start, caller=caller, dialled=dialled,
                          disposition=_disposition(cell("disposition")), duration_seconds=_seconds(cell("duration")),
                          talk_seconds=_seconds(cell("talk")))
    if len(row) < 15:
        raise ValueError(_("expected an Asterisk Master.csv line (at least 15 columns) or a header line"))
    cells = [clean_cell(c, 150) for c in row]
    start = _time(cells[9], zone)
    call_id = cells[16] if len(cells) > 16 and cells[16] else _digest(cells[9], cells[1], cells[2], cells[5], cells[6])
    return ParsedCall(line=number, call_id=call_id, started_at=start, caller=cells[1][:80], dialled=cells[2][:80],
                      disposition=_disposition(cells[14]), duration_seconds=_seconds(cells[12]),
                      talk_seconds=_seconds(cells[13]))
