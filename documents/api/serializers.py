"""Document API shapes: outputs (list/detail, versions, history) apart from inputs."""

from __future__ import annotations

from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from accounts.models import Organization
from accounts.selectors import organization_list
from cmdb.models import CI
from cmdb.selectors import ci_list
from opsdesk import serializers

from ..choices import DocumentCategory
from ..models import Document, DocumentEvent, DocumentVersion

VERSION_HELP = _("The version you read; a stale one is refused with 409.")


class DocumentVersionSerializer(serializers.ModelSerializer[DocumentVersion]):
    uploaded_by_name = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField(help_text=_("Downloads this version's file."))

    class Meta:
        model = DocumentVersion
        fields = ["number", "name", "size", "content_type", "sha256", "note", "uploaded_by", "uploaded_by_name",
                  "uploaded_at", "download_url"]
        read_only_fields = fields

    def get_uploaded_by_name(self, obj: DocumentVersion) -> str:
        return obj.uploaded_by.display_name if obj.uploaded_by else ""

    @extend_schema_field(OpenApiTypes.URI)
    def get_download_url(self, obj: DocumentVersion) -> str | None:
        try:
            path = reverse("document-version-file", kwargs={"pk": obj.document_id, "version_number": obj.number})
        except NoReverseMatch:
            return None
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class DocumentSerializer(serializers.ModelSerializer[Document]):
    """A document; the `update_*` fields (staff only, null for customers) say whether a change on
    one of its CIs is waiting for a new version."""

    organization_name = serializers.CharField(source="organization.name", read_only=True)
    cis = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    latest_version = serializers.IntegerField(source="latest_number", read_only=True,
                                              help_text=_("Number of the newest version (0: no file yet)."))
    update_due_since = serializers.SerializerMethodField()
    update_due_by = serializers.SerializerMethodField()
    update_overdue = serializers.SerializerMethodField()
    update_change = serializers.SerializerMethodField(help_text=_("The change that made the update due."))
    update_change_number = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = ["id", "title", "category", "organization", "organization_name", "cis", "description", "published",
                  "status", "latest_version", "latest_version_at", "created_at", "updated_at", "archived_at",
                  "version", "update_due_since", "update_due_by", "update_overdue", "update_change",
                  "update_change_number"]
        read_only_fields = fields

    def _staff_value(self, obj: Document, name: str) -> Any:
        request = self.context.get("request")
        if request is not None and request.user.is_customer and not request.user.is_superuser:
            return None
        return getattr(obj, name, None)

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_update_due_since(self, obj: Document) -> Any:
        value = self._staff_value(obj, "due_since")
        return serializers.DateTimeField().to_representation(value) if value else None

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_update_due_by(self, obj: Document) -> Any:
        value = self._staff_value(obj, "update_due_by")
        return serializers.DateTimeField().to_representation(value) if value else None

    @extend_schema_field(serializers.BooleanField(allow_null=True))
    def get_update_overdue(self, obj: Document) -> bool | None:
        value = self._staff_value(obj, "update_overdue")
        return None if value is None else bool(value)

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_update_change(self, obj: Document) -> int | None:
        value = self._staff_value(obj, "due_change_id")
        return int(value) if value else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_update_change_number(self, obj: Document) -> str | None:
        return self._staff_value(obj, "due_change_number") or None


class DocumentDetailSerializer(DocumentSerializer):
    versions = serializers.SerializerMethodField()

    class Meta(DocumentSerializer.Meta):
        fields = [*DocumentSerializer.Meta.fields, "versions"]
        read_only_fields = fields

    @extend_schema_field(DocumentVersionSerializer(many=True))
    def get_versions(self, obj: Document) -> list[dict[str, Any]]:
        versions = obj.versions.select_related("uploaded_by").order_by("-number")
        return list(DocumentVersionSerializer(versions, many=True, context=self.context).data)


class DocumentEventSerializer(serializers.ModelSerializer[DocumentEvent]):
    actor_name = serializers.SerializerMethodField()

    class Meta:
        model = DocumentEvent
        fields = ["seq", "action", "actor", "actor_name", "data", "created_at", "prev_hash", "hash"]
        read_only_fields = fields

    def get_actor_name(self, obj: DocumentEvent) -> str:
        return obj.actor.display_name if obj.actor else ""


class _ScopedCIs(serializers.Serializer[Any]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is None:  # schema generation
            return
        self.fields["cis"].child_relation.queryset = ci_list(user=request.user)  # type: ignore[attr-defined]
        if "organization" in self.fields:
            self.fields["organization"].queryset = organization_list(user=request.user)  # type: ignore[attr-defined]


class DocumentCreateSerializer(_ScopedCIs):
    """JSON, or multipart with `file` (and `note`) to store version 1 at once."""

    title = serializers.CharField(max_length=200)
    category = serializers.ChoiceField(choices=DocumentCategory.choices)
    organization = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.none())
    cis = serializers.PrimaryKeyRelatedField(queryset=CI.objects.none(), many=True, required=False, default=list)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000)
    file = serializers.FileField(required=False, allow_null=True, default=None,
                                 help_text=_("Optional first version; larger than the limit gets 413."))
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class DocumentUpdateSerializer(_ScopedCIs):
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)
    title = serializers.CharField(required=False, max_length=200)
    category = serializers.ChoiceField(choices=DocumentCategory.choices, required=False)
    cis = serializers.PrimaryKeyRelatedField(queryset=CI.objects.none(), many=True, required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=20000)


class DocumentVersionInputSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(help_text=_("The new version's file; larger than the limit gets 413."))
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000,
                                 help_text=_("What changed in this version."))
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)


class DocumentWriteSerializer(serializers.Serializer[Any]):
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)


class DocumentArchiveSerializer(DocumentWriteSerializer):
    reason = serializers.CharField(max_length=2000)
