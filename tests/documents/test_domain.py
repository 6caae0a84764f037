"""Documents: versions kept and immutable, SHA-256, history chain, publish rules, archive, the
size limit and the version check."""

from __future__ import annotations

import hashlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.choices import Role
from documents.audit import document_chain_verify
from documents.choices import DocumentAction, DocumentStatus
from documents.models import DocumentEvent, DocumentVersion
from documents.services import (
    document_archive,
    document_create,
    document_publish,
    document_unpublish,
    document_update,
    document_version_add,
)
from opsdesk.errors import ConflictError
from tests.factories import UserFactory
from tickets.audit import audit_keys, event_digest

from .conftest import upload

pytestmark = pytest.mark.django_db


def test_versions_are_numbered_kept_and_hashed(make_document, org_a, docadmin, now):
    doc = make_document(organization=org_a, files=(b"first", b"second"))
    third = document_version_add(document_id=doc.pk, actor=docadmin, upload=upload(b"third", "c.txt"), note="port 3",
                                 version=doc.version, now=now)
    assert third.number == 3
    versions = list(DocumentVersion.objects.filter(document=doc).order_by("number"))
    assert [v.number for v in versions] == [1, 2, 3]
    for v, content in zip(versions, (b"first", b"second", b"third"), strict=True):
        assert v.sha256 == hashlib.sha256(content).hexdigest()
        assert v.size == len(content)
        with v.file.open("rb") as handle:
            assert handle.read() == content  # earlier files untouched by later uploads
    doc.refresh_from_db()
    assert (doc.latest_number, doc.latest_version_at) == (3, now)
    assert third.note == "port 3"


def test_same_file_again_is_refused(make_document, org_a, docadmin, now):
    doc = make_document(organization=org_a, files=(b"same",))
    with pytest.raises(ValidationError) as err:
        document_version_add(document_id=doc.pk, actor=docadmin, upload=upload(b"same"), version=None, now=now)
    assert "file" in err.value.message_dict


def test_stale_version_conflicts_and_changes_nothing(make_document, org_a, docadmin, now):
    doc = make_document(organization=org_a)
    stale = doc.version
    document_version_add(document_id=doc.pk, actor=docadmin, upload=upload(b"two"), version=stale, now=now)
    with pytest.raises(ConflictError):
        document_version_add(document_id=doc.pk, actor=docadmin, upload=upload(b"three"), version=stale, now=now)
    assert DocumentVersion.objects.filter(document=doc).count() == 2


def test_size_limit_and_empty_file(make_document, org_a, docadmin, now, settings):
    settings.ATTACHMENT_MAX_BYTES = 10
    doc = make_document(organization=org_a, files=())
    with pytest.raises(ValidationError) as err:
        document_version_add(document_id=doc.pk, actor=docadmin, upload=upload(b"x" * 11), version=None, now=now)
    assert "file" in err.value.message_dict
    with pytest.raises(ValidationError):
        document_version_add(document_id=doc.pk, actor=docadmin, upload=upload(b""), version=None, now=now)
    with pytest.raises(ValidationError):
        document_version_add(document_id=doc.pk, actor=docadmin, upload=None, version=None, now=now)
    assert not DocumentVersion.objects.filter(document=doc).exists()


def test_unsafe_file_names_are_reduced_to_a_base_name(make_document, org_a, docadmin, now):
    doc = make_document(organization=org_a, files=())
    item = document_version_add(document_id=doc.pk, actor=docadmin, version=None, now=now,
                                upload=upload(b"data", name="../../etc/passwd"))
    assert item.name == "passwd"
    assert ".." not in item.file.name


def test_cis_must_belong_to_the_organisation(org_a, ci_a, ci_b, docadmin, now):
    with pytest.raises(ValidationError) as err:
        document_create(actor=docadmin, organization=org_a, title="Config", category="configuration",
                        cis=[ci_a, ci_b], now=now)
    assert "cis" in err.value.message_dict
    doc = document_create(actor=docadmin, organization=org_a, title="Config", category="configuration",
                          cis=[ci_a], now=now)
    assert list(doc.cis.all()) == [ci_a]


def test_create_validates_fields(org_a, docadmin, now):
    with pytest.raises(ValidationError) as err:
        document_create(actor=docadmin, organization=org_a, title=" ", category="poetry", now=now)
    assert set(err.value.message_dict) == {"title", "category"}


def test_customers_cannot_write(make_document, org_a, customer_a, now):
    with pytest.raises(PermissionDenied):
        document_create(actor=customer_a, organization=org_a, title="Mine", category="other", now=now)
    doc = make_document(organization=org_a)
    with pytest.raises(PermissionDenied):
        document_version_add(document_id=doc.pk, actor=customer_a, upload=upload(b"evil"), version=None, now=now)


def test_publish_rules(make_document, org_a, docadmin, engineer, now):
    empty = make_document(organization=org_a, files=())
    with pytest.raises(ValidationError):
        document_publish(document_id=empty.pk, actor=docadmin, version=None, now=now)
    doc = make_document(organization=org_a)
    with pytest.raises(PermissionDenied):  # engineers file and update; publishing is for doc admins and leads
        document_publish(document_id=doc.pk, actor=engineer, version=None, now=now)
    manager = UserFactory(role=Role.MANAGER)
    published = document_publish(document_id=doc.pk, actor=manager, version=doc.version, now=now)
    assert published.published
    withdrawn = document_unpublish(document_id=doc.pk, actor=docadmin, version=published.version, now=now)
    assert not withdrawn.published


def test_archive_keeps_everything_and_freezes_the_document(make_document, org_a, docadmin, now):
    doc = make_document(organization=org_a, published=True)
    with pytest.raises(ValidationError):
        document_archive(document_id=doc.pk, actor=docadmin, version=None, reason="", now=now)
    archived = document_archive(document_id=doc.pk, actor=docadmin, version=None, reason="device retired", now=now)
    assert archived.status == DocumentStatus.ARCHIVED and not archived.published
    assert DocumentVersion.objects.filter(document=doc).count() == 1
    with pytest.raises(ValidationError):
        document_version_add(document_id=doc.pk, actor=docadmin, upload=upload(b"late"), version=None, now=now)
    with pytest.raises(ValidationError):
        document_publish(document_id=doc.pk, actor=docadmin, version=None, now=now)


def test_update_records_old_and_new(make_document, org_a, ci_a, docadmin, now):
    doc = make_document(organization=org_a)
    document_update(document_id=doc.pk, actor=docadmin, version=doc.version, now=now,
                    changes={"title": "Circuit data 2026", "cis": [ci_a]})
    event = DocumentEvent.objects.filter(document=doc).order_by("-seq").first()
    assert event.action == DocumentAction.UPDATED
    assert event.data == {"title": ["Circuit data", "Circuit data 2026"], "cis": [[], [ci_a.pk]]}
    with pytest.raises(ValidationError):
        document_update(document_id=doc.pk, actor=docadmin, version=None, now=now, changes={"organization": 1})


def test_history_is_a_keyed_hash_chain(make_document, org_a, docadmin, now):
    """The document history is signed like ticket events: HMAC-SHA256 with the audit key, its id stored."""
    doc = make_document(organization=org_a, files=(b"a", b"b"), published=True)
    events = list(DocumentEvent.objects.filter(document=doc).order_by("seq"))
    assert [e.action for e in events] == ["created", "version_added", "version_added", "published"]
    assert all(e.actor_id == docadmin.pk for e in events)
    key_id, ring = audit_keys()
    prev = ""
    for e in events:
        assert e.prev_hash == prev and e.key_id == key_id
        fields = {"ticket_kind": "document", "ticket_id": doc.pk, "seq": e.seq, "actor_id": e.actor_id,
                  "action": e.action, "data": e.data, "public": False, "created_at": e.created_at, "prev_hash": prev}
        assert e.hash == event_digest(**fields, key=ring[key_id])
        assert e.hash != event_digest(**fields)  # not the plain SHA-256 anyone could recompute
        prev = e.hash
    doc.refresh_from_db()
    assert (doc.audit_seq, doc.audit_head) == (4, prev)
    assert list(document_chain_verify()) == []


def test_no_delete_paths_in_admin():
    from django.contrib import admin

    from documents.models import Document

    model_admin = admin.site._registry[Document]
    assert not model_admin.has_delete_permission(None)
    assert not model_admin.has_change_permission(None)
