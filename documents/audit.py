"""The document history chain: one chain per document, signed and checked exactly like ticket events
(tickets/audit.py: HMAC-SHA256 with AUDIT_HMAC_KEY, the key id on each event, legacy unkeyed events
accepted only at the start of a chain). `manage.py verify_audit` runs `document_chain_verify` through
settings.AUDIT_EXTRA_CHAINS (tickets may not import documents)."""

from __future__ import annotations

from collections.abc import Iterator

from tickets.audit import BreakCategory, ChainBreak, audit_keys, link_check

from .models import Document, DocumentEvent

DOCUMENT_CHAIN = "document"  # the chain's kind in the signed payload (and in reported breaks)


def document_chain_verify(*, document_ids: list[int] | None = None, batch: int = 2000) -> Iterator[ChainBreak]:
    """Yield every break in the history of the documents (all, or the ids given): a missing, reordered
    or relinked event, an event that no longer matches its keyed hash, and a head (audit_seq,
    audit_head on the document row) that does not match the last event."""
    _current, ring = audit_keys()
    documents = Document.objects.order_by("pk").values("pk", "audit_seq", "audit_head")
    if document_ids is not None:
        documents = documents.filter(pk__in=document_ids)
    last_pk = 0
    while True:
        chunk = list(documents.filter(pk__gt=last_pk)[:batch])
        if not chunk:
            return
        last_pk = chunk[-1]["pk"]
        heads = {row["pk"]: (row["audit_seq"], row["audit_head"]) for row in chunk}
        state: dict[int, tuple[int, str]] = {}
        keyed: set[int] = set()
        events = DocumentEvent.objects.filter(document_id__in=list(heads)).order_by("document_id", "seq")
        for ev in events.iterator(chunk_size=5000):
            prev_seq, prev_hash = state.get(ev.document_id, (0, ""))
            problem = link_check(kind=DOCUMENT_CHAIN, owner_id=ev.document_id, event=ev, prev_seq=prev_seq,
                                 prev_hash=prev_hash, keyed_before=ev.document_id in keyed, ring=ring)
            if problem is not None:
                yield ChainBreak(DOCUMENT_CHAIN, ev.document_id, ev.seq, ev.pk, problem[1], problem[0])
            if ev.key_id:
                keyed.add(ev.document_id)
            state[ev.document_id] = (ev.seq, ev.hash)
        for pk, (seq, head) in heads.items():
            got = state.get(pk, (0, ""))
            if got != (seq, head):
                yield ChainBreak(DOCUMENT_CHAIN, pk, None, None,
                                 f"head says seq {seq}, chain ends at seq {got[0]}: events removed or head altered",
                                 BreakCategory.CHAIN_BROKEN)
