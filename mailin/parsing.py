"""Reading one raw mail defensively: headers (encoded words in any charset, GB2312/GBK read as
GB18030), the sender, the thread headers, the text (HTML-only mails turned into plain text), the
attachments, and whether it was sent by a machine (RFC 3834). Pure: no database.

Hostile input is refused with `MailRejected(reason)` (too many or too deeply nested MIME parts);
bad charsets and broken encodings never raise: undecodable bytes become U+FFFD."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from email import message_from_bytes
from email.header import decode_header
from email.message import Message
from email.policy import compat32
from email.utils import getaddresses, parseaddr
from html import unescape
from html.parser import HTMLParser

from opsdesk.mail import header_text

MAX_PARTS = 100
MAX_DEPTH = 8
MAX_BODY_CHARS = 100_000

# Labels mail software writes for Chinese charsets; GB18030 is a superset of GB2312 and GBK and
# decodes what mislabelled mails really contain.
_CHARSET_ALIASES = {
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030", "gb_2312-80": "gb18030",
    "euc-cn": "gb18030", "x-euc-cn": "gb18030", "chinese": "gb18030", "csgb2312": "gb18030",
    "unknown-8bit": "utf-8", "x-unknown": "utf-8", "us-ascii": "utf-8", "ascii": "utf-8",
}
_ADDRESS = re.compile(r"^[^@\s<>()\[\],;:\"\\]+@[A-Za-z0-9.-]+\.[A-Za-z0-9-]{2,}$")
_MSGID = re.compile(r"<[^<>\s\x00-\x1f\x7f]{1,900}>")
TICKET_NUMBER = re.compile(r"\b(INC|REQ)-(\d{6,})\b")


class MailRejected(Exception):
    """The mail cannot be processed safely; the message says why (logged on the inbound mail)."""


@dataclass
class ParsedAttachment:
    name: str
    content_type: str
    data: bytes


@dataclass
class ParsedMail:
    message_id: str = ""
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    from_address: str = ""
    from_name: str = ""
    subject: str = ""
    body: str = ""
    language: str = ""
    auto_kind: str = ""          # why it is machine mail ("" = a person wrote it)
    auto_reply: bool = False     # a reply by a machine (out of office, bounce): never processed nor answered
    attachments: list[ParsedAttachment] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def thread_ids(self) -> list[str]:
        """Message-IDs this mail answers, the most specific first (In-Reply-To, then References newest first)."""
        seen: list[str] = []
        for mid in [*self.in_reply_to, *reversed(self.references)]:
            if mid not in seen:
                seen.append(mid)
        return seen


def charset_of(label: str | None) -> str:
    """A Python codec for a MIME charset label; utf-8 when the label is unknown."""
    name = (label or "").strip().strip('"').lower()
    name = _CHARSET_ALIASES.get(name, name) or "utf-8"
    try:
        codecs.lookup(name)
    except LookupError:
        return "utf-8"
    return name


def decode_bytes(data: bytes, label: str | None) -> str:
    codec = charset_of(label)
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        pass
    for fallback in ("utf-8", "gb18030"):
        if fallback != codec:
            try:
                return data.decode(fallback)
            except UnicodeDecodeError:
                continue
    return data.decode(codec, errors="replace")


def decode_header_text(value: object, *, limit: int = 500) -> str:
    """A header's text with RFC 2047 encoded words decoded, on one line (no CR/LF: header injection)."""
    if value is None:
        return ""
    raw = str(value)
    try:
        parts = decode_header(raw)
    except Exception:  # noqa: BLE001 - a malformed encoded word: keep the raw text
        parts = [(raw, None)]
    text = "".join(decode_bytes(chunk, charset) if isinstance(chunk, bytes) else chunk for chunk, charset in parts)
    return header_text(text, limit=limit)


def message_ids(value: object) -> list[str]:
    return _MSGID.findall(str(value or ""))[:50]


def valid_address(address: str) -> bool:
    return bool(_ADDRESS.match(address)) and len(address) <= 254


def sender_of(msg: Message) -> tuple[str, str]:
    """(address lower-cased, display name) of From (Reply-To is not trusted for identity)."""
    raw = msg.get("From", "")
    if "\n" in str(raw).strip() or "\r" in str(raw).strip():
        return "", ""
    name, address = parseaddr(str(raw))
    address = address.strip().lower()
    if not valid_address(address):
        return "", decode_header_text(name, limit=200)
    return address, decode_header_text(name, limit=200)


class _TextExtractor(HTMLParser):
    _BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote", "pre", "hr"}
    _SKIP = {"script", "style", "head", "title", "noscript", "template"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self.skip += 1
        elif tag in self._BLOCK:
            self.out.append("\n")
        elif tag == "td":
            self.out.append(" ")
        if tag == "li":
            self.out.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in self._BLOCK:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.out.append(data)


def html_to_text(html: str) -> str:
    """Plain text of an HTML mail: scripts, styles and tags dropped, entities decoded, blocks on lines.
    The result is text, never markup (pages escape it like any comment)."""
    parser = _TextExtractor()
    try:
        parser.feed(html)
        parser.close()
        text = "".join(parser.out)
    except Exception:  # noqa: BLE001 - hopeless markup: strip tags bluntly
        text = unescape(re.sub(r"<[^>]*>", " ", html))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def clean_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return text.strip()[:MAX_BODY_CHARS]


def detect_auto(msg: Message, *, own_domains: set[str], from_address: str, own_addresses: set[str]) -> tuple[str, bool]:
    """(reason, is_auto_reply) when a machine sent the mail; ("", False) for a person's mail.
    Auto replies (out of office, bounces, our own mail coming back) are never processed; other machine
    mail (bulk, lists, auto-generated reports) may open tickets but is never answered."""
    auto_submitted = str(msg.get("Auto-Submitted", "")).strip().lower()
    precedence = str(msg.get("Precedence", "")).strip().lower()
    message_id = " ".join(message_ids(msg.get("Message-ID", "")))
    if from_address and from_address in own_addresses:
        return "from our own address", True
    if message_id and any(message_id.lower().endswith(f"@{d}>") and "opsdesk." in message_id for d in own_domains):
        return "our own Message-ID", True
    if auto_submitted.startswith("auto-replied") or precedence == "auto_reply":
        return f"Auto-Submitted: {auto_submitted or precedence}", True
    for header in ("X-Autoreply", "X-Autorespond", "X-Auto-Reply"):
        if msg.get(header) is not None:
            return header, True
    suppress = str(msg.get("X-Auto-Response-Suppress", "")).lower()
    if suppress and any(word in suppress for word in ("all", "oof", "autoreply")) and msg.get("In-Reply-To"):
        return "X-Auto-Response-Suppress on a reply", True
    local = from_address.split("@")[0]
    if local in ("mailer-daemon", "postmaster") or str(msg.get("Return-Path", "")).strip() == "<>":
        return "delivery status notification", True
    content_type = msg.get_content_type()
    if content_type == "multipart/report":
        return "delivery or read report", True
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}", False
    if precedence in ("bulk", "junk", "list"):
        return f"Precedence: {precedence}", False
    if msg.get("List-Id") is not None:
        return "List-Id", False
    return "", False


def _depth_ok(msg: Message, depth: int = 0) -> int:
    """Parts in `msg`; raises MailRejected past MAX_DEPTH or MAX_PARTS."""
    if depth > MAX_DEPTH:
        raise MailRejected(f"MIME parts nested deeper than {MAX_DEPTH} levels")
    if not msg.is_multipart():
        return 1
    payload = msg.get_payload()
    count = 1
    if isinstance(payload, list):
        for sub in payload:
            if isinstance(sub, Message):
                count += _depth_ok(sub, depth + 1)
            if count > MAX_PARTS:
                raise MailRejected(f"more than {MAX_PARTS} MIME parts")
    return count


def _attachment_name(part: Message, index: int) -> str:
    name = ""
    try:
        name = part.get_filename() or ""
    except Exception:  # noqa: BLE001
        name = ""
    name = decode_header_text(name, limit=150) if name else ""
    name = name.replace("/", "_").replace("\\", "_").strip(". ")
    if not name:
        subtype = part.get_content_subtype() or "bin"
        name = f"attachment-{index}.{re.sub(r'[^a-z0-9]', '', subtype)[:10] or 'bin'}"
    return name


def parse_mail(raw: bytes, *, own_domains: set[str] | None = None, own_addresses: set[str] | None = None) -> ParsedMail:
    """Everything OpsDesk needs from a raw RFC 5322 mail. Raises MailRejected for a MIME bomb."""
    # A cheap guard before the parser recurses into a nesting bomb.
    if raw.lower().count(b"content-type: multipart/") > MAX_PARTS:
        raise MailRejected(f"more than {MAX_PARTS} multipart containers")
    try:
        msg = message_from_bytes(raw, policy=compat32)
    except RecursionError:
        raise MailRejected("MIME parts nested too deeply") from None
    _depth_ok(msg)
    parsed = ParsedMail()
    parsed.from_address, parsed.from_name = sender_of(msg)
    ids = message_ids(msg.get("Message-ID", ""))
    parsed.message_id = ids[0] if ids else ""
    parsed.in_reply_to = message_ids(msg.get("In-Reply-To", ""))
    parsed.references = message_ids(" ".join(str(v) for v in (msg.get_all("References") or [])))
    parsed.subject = decode_header_text(msg.get("Subject", ""), limit=500)
    parsed.language = decode_header_text(msg.get("Content-Language", "") or msg.get("Accept-Language", ""), limit=40)
    parsed.auto_kind, parsed.auto_reply = detect_auto(
        msg, own_domains=own_domains or set(), from_address=parsed.from_address, own_addresses=own_addresses or set())
    plain: str | None = None
    html: str | None = None
    index = 0
    for part in msg.walk():
        if part.is_multipart():
            continue
        index += 1
        content_type = part.get_content_type()
        disposition = str(part.get("Content-Disposition", "")).split(";")[0].strip().lower()
        try:
            data = part.get_payload(decode=True)
        except Exception:  # noqa: BLE001 - broken base64 / quoted-printable
            data = None
        if not isinstance(data, bytes):
            data = b""
        is_text = content_type in ("text/plain", "text/html")
        if is_text and disposition != "attachment" and not (disposition == "inline" and part.get_filename()):
            text = decode_bytes(data, part.get_content_charset())
            if content_type == "text/plain" and plain is None:
                plain = text
            elif content_type == "text/html" and html is None:
                html = text
            continue
        if content_type == "message/delivery-status":
            continue
        if not data:
            parsed.notes.append(f"empty part {index} ({content_type}) skipped")
            continue
        parsed.attachments.append(ParsedAttachment(name=_attachment_name(part, index),
                                                   content_type=content_type[:100], data=data))
    if plain is not None and plain.strip():
        parsed.body = clean_text(plain)
    elif html is not None:
        parsed.body = clean_text(html_to_text(html))
    return parsed


def subject_numbers(subject: str) -> list[str]:
    """Ticket numbers (INC-000123, REQ-…) named in a subject, in order."""
    return [f"{m.group(1)}-{m.group(2)}" for m in TICKET_NUMBER.finditer(subject or "")][:5]


def strip_reply_prefixes(subject: str) -> str:
    """"Re: 回复: Fwd: [INC-000001] title" → "title" (for a new ticket's title)."""
    text = subject or ""
    previous = None
    while previous != text:
        previous = text
        text = re.sub(r"^\s*(re|fw|fwd|aw|sv|答复|回复|转发)\s*[:：]\s*", "", text, flags=re.IGNORECASE)
        text = re.sub(r"^\s*\[[^\]]{0,40}\]\s*", "", text)
    return text.strip()


def has_cjk(text: str) -> bool:
    return bool(re.search(r"[\u3400-\u9fff]", text or ""))


def address_list(value: str) -> list[str]:
    return [addr.lower() for _name, addr in getaddresses([value]) if addr]
