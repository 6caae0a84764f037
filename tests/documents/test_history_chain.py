"""The document history is keyed like the ticket audit chain (documents/audit.py on tickets/audit.py):
someone with database write access who rewrites an event and recomputes plain SHA-256 hashes is
caught, and `manage.py verify_audit` reports it."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from documents.audit import document_chain_verify
from documents.models import Document, DocumentEvent
from documents.services import document_update
from tickets.audit import BreakCategory, event_digest

pytestmark = pytest.mark.django_db


def plain_rechain(doc: Document, *, data_of_seq: int, data: dict, key_id: str | None = None) -> None:
    """What an attacker without the key can do: change an event and recompute every hash from there
    with SHA-256, moving the document's head along."""
    prev = ""
    for ev in DocumentEvent.objects.filter(document=doc).order_by("seq"):
        if ev.seq == data_of_seq:
            ev.data = data
        if ev.seq >= data_of_seq:
            ev.prev_hash = prev
            ev.hash = event_digest(ticket_kind="document", ticket_id=doc.pk, seq=ev.seq, actor_id=ev.actor_id,
                                   action=ev.action, data=ev.data, public=False, created_at=ev.created_at,
                                   prev_hash=prev)
            if key_id is not None:
                ev.key_id = key_id
            ev.save()
        prev = ev.hash
    Document.objects.filter(pk=doc.pk).update(audit_head=prev)


def test_rewritten_event_with_recomputed_sha256_is_caught(make_document, org_a):
    doc = make_document(organization=org_a, files=(b"a", b"b"))
    plain_rechain(doc, data_of_seq=2, data={"number": 1, "name": "forged.txt"})
    breaks = list(document_chain_verify())
    assert [(b.ticket_kind, b.ticket_id, b.seq, b.category) for b in breaks] == [
        ("document", doc.pk, 2, BreakCategory.EVENT_ALTERED), ("document", doc.pk, 3, BreakCategory.EVENT_ALTERED)]


def test_downgrade_to_unkeyed_events_is_caught(make_document, org_a):
    doc = make_document(organization=org_a, files=(b"a",))
    plain_rechain(doc, data_of_seq=2, data={"number": 1}, key_id="")
    breaks = list(document_chain_verify())
    assert breaks and breaks[0].seq == 2 and breaks[0].category == BreakCategory.EVENT_ALTERED
    assert "unkeyed" in breaks[0].reason


def test_removed_last_event_is_caught_by_the_head(make_document, org_a):
    doc = make_document(organization=org_a, files=(b"a", b"b"))
    DocumentEvent.objects.filter(document=doc, seq=3).delete()
    breaks = list(document_chain_verify())
    assert [(b.ticket_id, b.seq, b.category) for b in breaks] == [(doc.pk, None, BreakCategory.CHAIN_BROKEN)]


def test_legacy_unkeyed_events_are_accepted_at_the_start(make_document, org_a, docadmin, now):
    """Rows written before the chain was keyed (key_id "" after the migration, plain SHA-256) keep
    verifying; the next keyed event covers their hashes."""
    doc = make_document(organization=org_a, files=(b"a",))
    first = DocumentEvent.objects.get(document=doc, seq=1)
    plain_rechain(doc, data_of_seq=1, data=first.data, key_id="")  # the whole chain as before the upgrade
    assert set(DocumentEvent.objects.filter(document=doc).values_list("key_id", flat=True)) == {""}
    assert list(document_chain_verify()) == []
    doc.refresh_from_db()
    document_update(document_id=doc.pk, actor=docadmin, version=doc.version, now=now, changes={"title": "New"})
    last = DocumentEvent.objects.filter(document=doc).order_by("-seq").first()
    assert last.key_id != ""
    assert list(document_chain_verify()) == []


def test_key_rotation_keeps_old_events_verifiable(make_document, org_a, docadmin, now, settings):
    settings.AUDIT_HMAC_KEY, settings.AUDIT_HMAC_KEY_ID = "old-secret", "k1"
    doc = make_document(organization=org_a, files=(b"a",))
    settings.AUDIT_HMAC_KEY, settings.AUDIT_HMAC_KEY_ID = "new-secret", "k2"
    settings.AUDIT_HMAC_OLD_KEYS = ["k1:old-secret"]
    doc.refresh_from_db()
    document_update(document_id=doc.pk, actor=docadmin, version=doc.version, now=now, changes={"title": "New"})
    assert list(DocumentEvent.objects.filter(document=doc).order_by("seq").values_list("key_id", flat=True)) == [
        "k1", "k1", "k2"]
    assert list(document_chain_verify()) == []
    settings.AUDIT_HMAC_OLD_KEYS = []
    breaks = list(document_chain_verify())
    assert [b.seq for b in breaks] == [1, 2] and "not configured" in breaks[0].reason


def test_verify_audit_reports_document_breaks(make_document, org_a, capsys):
    doc = make_document(organization=org_a, files=(b"a",))
    call_command("verify_audit", "--anchor-days", "0")
    assert "documents history: 0 break(s)" in capsys.readouterr().out
    plain_rechain(doc, data_of_seq=1, data={"title": "forged"})
    with pytest.raises(CommandError):
        call_command("verify_audit", "--anchor-days", "0")
    out = capsys.readouterr().out
    assert f"document {doc.pk}" in out and "[event_altered]" in out
