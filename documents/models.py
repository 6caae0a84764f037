from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from cmdb.models import CI

from .choices import DocumentAction, DocumentCategory, DocumentStatus


class DocumentQuerySet(models.QuerySet["Document"]):
    def visible_to(self, user: Any) -> DocumentQuerySet:
        """The tenancy choke point: staff see every document; customers see only the published,
        active documents of their own organisation."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser or not user.is_customer:
            return self
        if not user.organization_id:
            return self.none()
        return self.filter(organization_id=user.organization_id, published=True, status=DocumentStatus.ACTIVE)


class Document(models.Model):
    """A library document (circuit data, addresses, configuration, manual, …) of one organisation,
    optionally about some of its CIs. Its content lives in immutable DocumentVersions."""

    title = models.CharField(_("title"), max_length=200)
    category = models.CharField(_("category"), max_length=30, choices=DocumentCategory.choices)
    organization = models.ForeignKey(Organization, verbose_name=_("organisation"), on_delete=models.PROTECT,
                                     related_name="documents")
    cis = models.ManyToManyField(CI, verbose_name=_("configuration items"), related_name="documents", blank=True)
    description = models.TextField(_("description"), blank=True)
    published = models.BooleanField(_("published to the customer"), default=False)
    status = models.CharField(_("status"), max_length=20, choices=DocumentStatus.choices,
                              default=DocumentStatus.ACTIVE)
    # The newest version, kept by document_version_add in the same transaction (lists and the
    # update-due query read these instead of aggregating versions).
    latest_number = models.PositiveIntegerField(_("latest version"), default=0)
    latest_version_at = models.DateTimeField(_("latest version uploaded"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)  # optimistic concurrency
    audit_seq = models.PositiveIntegerField(default=0)
    audit_head = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        indexes = [
            models.Index(fields=["organization", "updated_at"], name="document_org_updated"),
            models.Index(fields=["updated_at", "id"], name="document_updated"),
        ]

    def __str__(self) -> str:
        return self.title


def version_path(instance: DocumentVersion, filename: str) -> str:
    return f"documents/{instance.document_id}/v{instance.number}-{instance.sha256[:16]}-{filename}"


class DocumentVersion(models.Model):
    """One uploaded file of a document. Versions are numbered 1, 2, 3 … per document, every one is
    kept, and none is ever changed after upload (the SHA-256 proves it)."""

    document = models.ForeignKey(Document, verbose_name=_("document"), on_delete=models.PROTECT,
                                 related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    file = models.FileField(_("file"), upload_to=version_path, max_length=300)
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveBigIntegerField(_("size"))
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64)
    note = models.TextField(_("what changed"), blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True,
                                    on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        ordering = ["document", "-number"]
        verbose_name = _("document version")
        verbose_name_plural = _("document versions")
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="document_version_number_unique"),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="document_version_number_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.document_id} v{self.number}"


class DocumentEvent(models.Model):
    """History of a document (who, when, what), chained per document like ticket events: HMAC-SHA256
    with the audit key, whose id is `key_id` (tickets/audit.py; "" = written before keying, plain SHA-256)."""

    document = models.ForeignKey(Document, verbose_name=_("document"), on_delete=models.PROTECT,
                                 related_name="events")
    seq = models.PositiveIntegerField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, on_delete=models.PROTECT,
                              related_name="+")
    action = models.CharField(_("action"), max_length=20, choices=DocumentAction.choices)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("when"))
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)
    key_id = models.CharField(_("key id"), max_length=40, blank=True, default="")

    class Meta:
        ordering = ["document", "seq"]
        verbose_name = _("document event")
        verbose_name_plural = _("document events")
        constraints = [models.UniqueConstraint(fields=["document", "seq"], name="document_event_seq_unique")]
