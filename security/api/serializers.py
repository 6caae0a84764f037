"""Security API shapes: outputs (read-only) and inputs kept apart."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from opsdesk import serializers

from ..choices import FINDING_ACTIONS, ScanResult
from ..models import AntivirusStatus, Finding, ScanImport


class FindingSerializer(serializers.ModelSerializer[Finding]):
    ci_name = serializers.CharField(source="ci.name", read_only=True)

    class Meta:
        model = Finding
        fields = ["id", "organization", "ci", "ci_name", "scanner", "vuln_id", "port", "cves", "name", "severity",
                  "cvss", "solution", "status", "first_seen_at", "last_seen_at", "not_seen_at", "due_on",
                  "escalated_at", "reason", "decided_by", "decided_at", "reopened", "version"]
        read_only_fields = fields


class FindingDecisionSerializer(serializers.Serializer[Any]):
    action = serializers.ChoiceField(choices=sorted(FINDING_ACTIONS))
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    version = serializers.IntegerField(required=False, allow_null=True, min_value=1)


class AntivirusSerializer(serializers.ModelSerializer[AntivirusStatus]):
    ci_name = serializers.CharField(source="ci.name", read_only=True)
    # Not "detail": that key is the error envelope's message (a 400 would carry a list under it).
    scan_detail = serializers.CharField(source="detail", read_only=True)

    class Meta:
        model = AntivirusStatus
        fields = ["ci", "ci_name", "product", "signature_date", "last_scan_at", "last_scan_result", "scan_detail",
                  "source", "updated_at"]
        read_only_fields = fields


class AntivirusInputSerializer(serializers.Serializer[Any]):
    ci = serializers.IntegerField(min_value=1, help_text=_("The CI's id."))
    product = serializers.CharField(max_length=100)
    signature_date = serializers.DateField(required=False, allow_null=True)
    last_scan_at = serializers.DateTimeField(required=False, allow_null=True)
    last_scan_result = serializers.ChoiceField(choices=ScanResult.choices, required=False, default=ScanResult.UNKNOWN)
    scan_detail = serializers.CharField(source="detail", required=False, allow_blank=True, max_length=500,
                                        default="")


class ScanImportSerializer(serializers.ModelSerializer[ScanImport]):
    class Meta:
        model = ScanImport
        fields = ["id", "organization", "scanner", "format", "filename", "full_scan", "status", "summary",
                  "created_at", "applied_at"]
        read_only_fields = fields


class ScanUploadSerializer(serializers.Serializer[Any]):
    organization = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.filter(is_active=True))
    file = serializers.FileField()
    full_scan = serializers.BooleanField(required=False, default=False)
    apply = serializers.BooleanField(required=False, default=False,
                                     help_text=_("Import at once; otherwise only a preview is made."))
