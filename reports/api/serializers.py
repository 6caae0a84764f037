"""Report API shapes: the request (input) and the run (output) are separate serializers."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from opsdesk import serializers

from ..models import ReportRun
from ..registry import kind_get


class ReportRequestSerializer(serializers.Serializer[Any]):
    kind = serializers.CharField(max_length=40, help_text="A code from reports/kinds/, e.g. monthly_fault_summary.")
    period = serializers.CharField(max_length=20, required=False, allow_blank=True,
                                   help_text="2026-10-15, 2026-10, 2026-Q3, 2026-H1 or 2026, as the kind takes.")
    organization = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**63 - 1,
                                            help_text="Organisation id; null or absent = all organisations (staff).")
    incident = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**63 - 1,
                                        help_text="Incident id, for per-incident kinds.")
    language = serializers.ChoiceField(choices=[c for c, _n in settings.LANGUAGES], required=False)
    options = serializers.DictField(required=False, help_text="Kind-specific inputs, e.g. {\"summary\": \"…\"}.")


class ReportPublishSerializer(serializers.Serializer[Any]):
    published = serializers.BooleanField(default=True)


class ReportRunSerializer(serializers.ModelSerializer[ReportRun]):
    kind_title = serializers.SerializerMethodField()
    organization_name = serializers.SerializerMethodField()
    incident_number = serializers.SerializerMethodField()
    file_url = serializers.SerializerMethodField()
    xlsx_url = serializers.SerializerMethodField()
    requested_by_name = serializers.SerializerMethodField()

    class Meta:
        model = ReportRun
        fields = [
            "id", "kind", "kind_title", "organization", "organization_name", "incident", "incident_number", "period",
            "period_start", "period_end", "language", "options", "status", "progress", "message", "attempts",
            "sha256", "size", "pages", "xlsx_sha256", "file_url", "xlsx_url", "requested_by", "requested_by_name",
            "schedule", "created_at", "started_at", "finished_at", "error", "published", "published_at",
            "published_by",
        ]
        read_only_fields = fields

    def get_kind_title(self, obj: ReportRun) -> str:
        try:
            return str(kind_get(obj.kind).title)
        except KeyError:
            return obj.kind

    def get_organization_name(self, obj: ReportRun) -> str | None:
        return obj.organization.name if obj.organization_id is not None else None

    def get_incident_number(self, obj: ReportRun) -> str | None:
        return obj.incident.number if obj.incident_id is not None else None

    def get_requested_by_name(self, obj: ReportRun) -> str | None:
        user = obj.requested_by
        return (getattr(user, "name", "") or user.get_username()) if user is not None else None

    @extend_schema_field(OpenApiTypes.URI)
    def get_file_url(self, obj: ReportRun) -> str | None:
        if obj.status != "done" or not obj.file:
            return None
        return self._absolute(reverse("report-run-file", kwargs={"pk": obj.pk}))

    @extend_schema_field(OpenApiTypes.URI)
    def get_xlsx_url(self, obj: ReportRun) -> str | None:
        if obj.status != "done" or not obj.xlsx:
            return None
        return self._absolute(reverse("report-run-xlsx", kwargs={"pk": obj.pk}))

    def _absolute(self, path: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class ReportKindSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    title = serializers.CharField()
    scope = serializers.ChoiceField(choices=["period", "incident"])
    period_kinds = serializers.ListField(child=serializers.CharField())
