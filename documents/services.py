"""Every write of the document library. Each function is atomic, locks the document row, checks
the `version` the caller read (stale → ConflictError, HTTP 409) and appends to the document's
hash-chained history (who, when, what)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.choices import Role
from accounts.models import Organization
from cmdb.models import CI
from opsdesk.errors import ConflictError
from tickets.audit import chain_sign

from .audit import DOCUMENT_CHAIN
from .choices import DocumentAction, DocumentCategory, DocumentStatus
from .models import Document, DocumentEvent, DocumentVersion

# Who may show a document to the customer, withdraw it or archive it (the 资料管理员 and leads).
PUBLISHER_ROLES = frozenset({Role.DOC_ADMIN, Role.MANAGER, Role.REGIONAL_LEAD})
EDITABLE_FIELDS = ("title", "category", "description", "cis")


def max_upload_bytes() -> int:
    return int(getattr(settings, "DOCUMENT_MAX_BYTES", settings.ATTACHMENT_MAX_BYTES))


def can_edit(user: Any) -> bool:
    """Any staff member may file documents and upload new versions."""
    return bool(user.is_authenticated and user.is_active and (user.is_superuser or user.is_staff_member))


def can_publish(user: Any) -> bool:
    return bool(can_edit(user) and (user.is_superuser or user.role in PUBLISHER_ROLES))


def _event_add(*, document: Document, actor: Any, action: str, data: dict[str, Any], now: datetime) -> DocumentEvent:
    """Append one event to the document's chain. The caller holds the document row lock."""
    seq = document.audit_seq + 1
    actor_id = actor.pk if actor is not None else None
    clean, digest, key_id = chain_sign(kind=DOCUMENT_CHAIN, owner_id=document.pk, seq=seq,
                                       prev_hash=document.audit_head, actor_id=actor_id, action=action, data=data,
                                       now=now)
    event = DocumentEvent.objects.create(document=document, seq=seq, actor_id=actor_id, action=action, data=clean,
                                         created_at=now, prev_hash=document.audit_head, hash=digest, key_id=key_id)
    document.audit_seq, document.audit_head = seq, digest
    return event


def _lock(document_id: int, version: int | None) -> Document:
    document = Document.objects.select_for_update().get(pk=document_id)
    if version is not None and int(version) != document.version:
        raise ConflictError(current_version=document.version)
    return document


def _save(document: Document, *, fields: list[str], now: datetime) -> None:
    document.version += 1
    document.updated_at = now
    document.save(update_fields=[*fields, "version", "updated_at", "audit_seq", "audit_head"])


def _require_editor(actor: Any) -> None:
    if not can_edit(actor):
        raise PermissionDenied


def _require_active(document: Document) -> None:
    if document.status != DocumentStatus.ACTIVE:
        raise ValidationError({"status": [_("This document is archived; it can no longer be changed.")]})


def _clean_cis(*, organization_id: int, cis: Iterable[CI | int]) -> list[CI]:
    ids = sorted({ci if isinstance(ci, int) else ci.pk for ci in cis})
    found = list(CI.objects.filter(pk__in=ids, organization_id=organization_id))
    if len(found) != len(ids):
        raise ValidationError({"cis": [_("Choose configuration items of the document's organisation.")]})
    return found


def _clean_text(errors: dict[str, list[str]], *, title: str, category: str) -> str:
    title = (title or "").strip()
    if not title:
        errors["title"] = [_("Give the document a title.")]
    if category not in DocumentCategory.values:
        errors["category"] = [_("Choose a category.")]
    return title


def _upload_check(upload: UploadedFile | None) -> None:
    limit = max_upload_bytes()
    if upload is None:
        raise ValidationError({"file": [_("Choose a file to upload.")]})
    if upload.size is None or upload.size > limit:
        raise ValidationError({"file": [_("The file is larger than %(mb)s MB.") % {"mb": limit // (1024 * 1024)}]})
    if upload.size == 0:
        raise ValidationError({"file": [_("The file is empty.")]})


def _safe_name(name: str) -> str:
    base = os.path.basename((name or "file").replace("\\", "/")).replace("\x00", "").strip()
    return base[-150:] or "file"


def _version_store(*, document: Document, actor: Any, upload: UploadedFile, note: str,
                   now: datetime) -> DocumentVersion:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    sha = digest.hexdigest()
    previous = document.versions.filter(number=document.latest_number).values_list("sha256", flat=True).first()
    if previous == sha:
        raise ValidationError({"file": [_("This file is identical to version %(n)s.") % {"n": document.latest_number}]})
    name = _safe_name(upload.name or "file")
    item = DocumentVersion(
        document=document, number=document.latest_number + 1, name=name, size=int(upload.size or 0),
        content_type=(upload.content_type or "")[:100], sha256=sha, note=(note or "").strip(),
        uploaded_by=actor, uploaded_at=now,
    )
    item.file.save(name, upload, save=False)
    item.save(force_insert=True)
    document.latest_number, document.latest_version_at = item.number, now
    _event_add(document=document, actor=actor, action=DocumentAction.VERSION_ADDED, now=now,
               data={"number": item.number, "name": name, "size": item.size, "sha256": sha, "note": item.note})
    return item


@transaction.atomic
def document_create(*, actor: Any, organization: Organization, title: str, category: str, description: str = "",
                    cis: Iterable[CI | int] = (), upload: UploadedFile | None = None, note: str = "",
                    now: datetime) -> Document:
    """File a new document; with `upload`, its first version is stored at once."""
    _require_editor(actor)
    errors: dict[str, list[str]] = {}
    title = _clean_text(errors, title=title, category=category)
    if organization is None:
        errors["organization"] = [_("Choose the organisation.")]
    if upload is not None:
        try:
            _upload_check(upload)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    chosen = _clean_cis(organization_id=organization.pk, cis=cis)
    document = Document.objects.create(
        title=title, category=category, organization=organization, description=(description or "").strip(),
        created_by=actor, created_at=now, updated_at=now,
    )
    document.cis.set(chosen)
    _event_add(document=document, actor=actor, action=DocumentAction.CREATED, now=now, data={
        "title": title, "category": category, "organization": organization.pk, "cis": [c.pk for c in chosen]})
    if upload is not None:
        _version_store(document=document, actor=actor, upload=upload, note=note, now=now)
    document.save(update_fields=["latest_number", "latest_version_at", "audit_seq", "audit_head"])
    return document


@transaction.atomic
def document_update(*, document_id: int, actor: Any, version: int | None, changes: dict[str, Any],
                    now: datetime) -> Document:
    """Change the title, category, description or CIs; the history records old → new."""
    _require_editor(actor)
    document = _lock(document_id, version)
    _require_active(document)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed here.")] for name in sorted(unknown)})
    errors: dict[str, list[str]] = {}
    title = _clean_text(errors, title=changes.get("title", document.title),
                        category=changes.get("category", document.category))
    if errors:
        raise ValidationError(errors)
    diff: dict[str, Any] = {}
    fields: list[str] = []
    new_values = {"title": title, "category": changes.get("category", document.category),
                  "description": (changes.get("description", document.description) or "").strip()}
    for name, value in new_values.items():
        if name in changes and getattr(document, name) != value:
            diff[name] = [getattr(document, name), value]
            setattr(document, name, value)
            fields.append(name)
    if "cis" in changes:
        chosen = _clean_cis(organization_id=document.organization_id, cis=changes["cis"] or [])
        old = sorted(document.cis.values_list("pk", flat=True))
        new = sorted(c.pk for c in chosen)
        if old != new:
            document.cis.set(chosen)
            diff["cis"] = [old, new]
    if not diff:
        return document
    _event_add(document=document, actor=actor, action=DocumentAction.UPDATED, now=now, data=diff)
    _save(document, fields=fields, now=now)
    return document


@transaction.atomic
def document_version_add(*, document_id: int, actor: Any, upload: UploadedFile | None, note: str = "",
                         version: int | None, now: datetime) -> DocumentVersion:
    """Store the next version (n + 1). Earlier versions stay as they are."""
    _require_editor(actor)
    _upload_check(upload)
    assert upload is not None  # for mypy: _upload_check refused None
    document = _lock(document_id, version)
    _require_active(document)
    item = _version_store(document=document, actor=actor, upload=upload, note=note, now=now)
    _save(document, fields=["latest_number", "latest_version_at"], now=now)
    return item


def _set_published(*, document_id: int, actor: Any, version: int | None, published: bool,
                   now: datetime) -> Document:
    if not can_publish(actor):
        raise PermissionDenied
    document = _lock(document_id, version)
    _require_active(document)
    if document.published == published:
        return document
    if published and not document.latest_number:
        raise ValidationError({"published": [_("Upload a file before publishing the document.")]})
    document.published = published
    _event_add(document=document, actor=actor, now=now,
               action=DocumentAction.PUBLISHED if published else DocumentAction.UNPUBLISHED,
               data={"published": [not published, published], "latest_number": document.latest_number})
    _save(document, fields=["published"], now=now)
    return document


@transaction.atomic
def document_publish(*, document_id: int, actor: Any, version: int | None, now: datetime) -> Document:
    """Let the organisation's customer users see and download the document (every version)."""
    return _set_published(document_id=document_id, actor=actor, version=version, published=True, now=now)


@transaction.atomic
def document_unpublish(*, document_id: int, actor: Any, version: int | None, now: datetime) -> Document:
    return _set_published(document_id=document_id, actor=actor, version=version, published=False, now=now)


@transaction.atomic
def document_archive(*, document_id: int, actor: Any, version: int | None, reason: str, now: datetime) -> Document:
    """Retire a document (never deleted): it leaves the portal and the update-due list, its
    versions stay downloadable for staff."""
    if not can_publish(actor):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the document is archived.")]})
    document = _lock(document_id, version)
    _require_active(document)
    document.status = DocumentStatus.ARCHIVED
    document.archived_at = now
    was_published = document.published
    document.published = False
    _event_add(document=document, actor=actor, action=DocumentAction.ARCHIVED, now=now,
               data={"reason": reason, "was_published": was_published})
    _save(document, fields=["status", "archived_at", "published"], now=now)
    return document
