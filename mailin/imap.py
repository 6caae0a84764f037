"""A small IMAP client on Python's imaplib (stdlib): connect (TLS / STARTTLS / plain), open the
folder read-only, list UIDs above the last one seen, read sizes, fetch one mail without setting
\\Seen. OpsDesk never changes the mailbox: it remembers UIDVALIDITY + UID instead."""

from __future__ import annotations

import imaplib
import re
import ssl
from dataclasses import dataclass
from typing import Any

TIMEOUT_SECONDS = 30
_SIZE = re.compile(rb"UID (\d+) RFC822\.SIZE (\d+)|RFC822\.SIZE (\d+) UID (\d+)")


class ImapError(Exception):
    """The server refused or the connection broke; the message is safe to show an admin."""


class MessageMissing(Exception):
    """The server answered but gave no message for a UID (expunged meanwhile): that mail fails, the poll goes on."""


@dataclass
class FolderState:
    uidvalidity: int
    uids: list[int]


class ImapSession:
    def __init__(self, *, host: str, port: int, security: str, username: str, password: str,
                 timeout: float = TIMEOUT_SECONDS) -> None:
        try:
            if security == "ssl":
                self.conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(host, port, ssl_context=ssl.create_default_context(),
                                                             timeout=timeout)
            else:
                self.conn = imaplib.IMAP4(host, port, timeout=timeout)
                if security == "starttls":
                    self.conn.starttls(ssl_context=ssl.create_default_context())
            self.conn.login(username, password)
        except (imaplib.IMAP4.error, OSError, ssl.SSLError) as exc:
            raise ImapError(f"{type(exc).__name__}: {exc}") from None

    def __enter__(self) -> ImapSession:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.conn.logout()
        except (imaplib.IMAP4.error, OSError):
            pass

    def _ok(self, typ: str, data: list[Any], what: str) -> list[Any]:
        if typ != "OK":
            raise ImapError(f"{what}: {typ} {data!r}"[:500])
        return data

    def open_folder(self, folder: str, *, after_uid: int) -> FolderState:
        try:
            quoted = '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'
            self._ok(*self.conn.select(quoted, readonly=True), what=f"SELECT {folder}")
            _name, values = self.conn.response("UIDVALIDITY")
            uidvalidity = int(values[0]) if values and values[0] else 0
            data = self._ok(*self.conn.uid("SEARCH", f"UID {after_uid + 1}:*"), what="UID SEARCH")
        except (imaplib.IMAP4.error, OSError, ValueError) as exc:
            raise ImapError(f"{type(exc).__name__}: {exc}") from None
        uids = sorted({int(x) for chunk in data if isinstance(chunk, bytes) for x in chunk.split()})
        # "UID n:*" always returns the highest UID, even below n: keep only the new ones.
        return FolderState(uidvalidity=uidvalidity, uids=[u for u in uids if u > after_uid])

    def sizes(self, uids: list[int]) -> dict[int, int]:
        if not uids:
            return {}
        try:
            data = self._ok(*self.conn.uid("FETCH", ",".join(str(u) for u in uids), "(RFC822.SIZE)"),
                            what="UID FETCH RFC822.SIZE")
        except (imaplib.IMAP4.error, OSError) as exc:
            raise ImapError(f"{type(exc).__name__}: {exc}") from None
        sizes: dict[int, int] = {}
        for item in data:
            line = item[0] if isinstance(item, tuple) else item
            if not isinstance(line, bytes):
                continue
            match = _SIZE.search(line)
            if match:
                uid, size = (match.group(1), match.group(2)) if match.group(1) else (match.group(4), match.group(3))
                sizes[int(uid)] = int(size)
        return sizes

    def fetch(self, uid: int, *, header_only: bool = False) -> bytes:
        """The raw mail (or only its header), read with BODY.PEEK so the mail stays unread."""
        what = "(BODY.PEEK[HEADER])" if header_only else "(BODY.PEEK[])"
        try:
            data = self._ok(*self.conn.uid("FETCH", str(uid), what), what="UID FETCH")
        except (imaplib.IMAP4.error, OSError) as exc:
            raise ImapError(f"{type(exc).__name__}: {exc}") from None
        for item in data:
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
                return item[1]
        raise MessageMissing(f"UID {uid} returned no message (deleted from the folder meanwhile?)")
