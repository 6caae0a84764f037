"""CMDB API shapes: input and output apart (shared/API.md `cis/`, `ci-relations/`)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from accounts.models import Organization
from opsdesk import serializers
from opsdesk.api_errors import QueryParamsSerializer

from ..choices import RELATION_INVERSE, CIStatus, ImpactDirection, RelationType
from ..models import CI, CIChange, CIClass, CIRelation, MaintenanceContract
from ..selectors import DEFAULT_IMPACT_DEPTH, MAX_IMPACT_DEPTH


class CodeField(serializers.SlugRelatedField):  # type: ignore[type-arg]
    """A class code: one with a NUL character cannot exist (PostgreSQL refuses it in a query), so it is
    "does not exist" (400) before the lookup, not a server error."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and "\x00" in data:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data.replace("\x00", ""))
        return super().to_internal_value(data)


CI_FIELDS = ["id", "name", "ci_class", "organization", "status", "location", "site", "building", "floor", "room",
             "rack", "serial", "asset_tag", "vendor", "model", "purchase_date", "warranty_end", "contract",
             "in_service_date", "design_life_years", "end_of_life", "end_of_support", "life_end", "support_end",
             "attributes", "version", "created_at", "updated_at"]


@extend_schema_field({"type": "object", "additionalProperties": True,
                      "description": "Class attribute values by name (see ci-classes/ for the definitions)."})
class AttributesField(serializers.JSONField):
    pass


class CISerializer(serializers.ModelSerializer[CI]):
    ci_class = serializers.SlugRelatedField(slug_field="code", read_only=True)
    life_end = serializers.DateField(read_only=True, allow_null=True,
                                     help_text=_("End of life: as set, else start of service plus the design life."))
    support_end = serializers.DateField(read_only=True, allow_null=True,
                                        help_text=_("End of support: as set, else the end of life."))
    attributes = AttributesField(read_only=True)

    class Meta:
        model = CI
        fields = CI_FIELDS
        read_only_fields = fields


class _CIInputBase(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200)
    ci_class = CodeField(slug_field="code", queryset=CIClass.objects.all())
    status = serializers.ChoiceField(choices=CIStatus.choices, required=False)
    site = serializers.CharField(max_length=100, required=False, allow_blank=True)
    building = serializers.CharField(max_length=100, required=False, allow_blank=True)
    floor = serializers.CharField(max_length=40, required=False, allow_blank=True)
    room = serializers.CharField(max_length=100, required=False, allow_blank=True)
    rack = serializers.CharField(max_length=40, required=False, allow_blank=True)
    location = serializers.CharField(max_length=200, required=False, allow_blank=True,
                                     help_text=_("Free text; replaced by the parts when any part is set."))
    serial = serializers.CharField(max_length=100, required=False, allow_blank=True)
    asset_tag = serializers.CharField(max_length=100, required=False, allow_blank=True)
    vendor = serializers.CharField(max_length=100, required=False, allow_blank=True)
    model = serializers.CharField(max_length=100, required=False, allow_blank=True)
    purchase_date = serializers.DateField(required=False, allow_null=True)
    warranty_end = serializers.DateField(required=False, allow_null=True)
    contract = serializers.PrimaryKeyRelatedField(queryset=MaintenanceContract.objects.all(), required=False,
                                                  allow_null=True)
    in_service_date = serializers.DateField(required=False, allow_null=True)
    design_life_years = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=50)
    end_of_life = serializers.DateField(required=False, allow_null=True)
    end_of_support = serializers.DateField(required=False, allow_null=True)
    attributes = AttributesField(required=False)

    def validate_attributes(self, value: Any) -> Any:
        if not isinstance(value, dict):
            raise serializers.ValidationError(_("Send an object of attribute name: value."))
        return value


class CICreateSerializer(_CIInputBase):
    organization = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.all())


class CIUpdateSerializer(_CIInputBase):
    name = serializers.CharField(max_length=200, required=False)
    ci_class = CodeField(slug_field="code", queryset=CIClass.objects.all(), required=False)
    version = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1,
                                       help_text=_("The version you read; a stale one gets 409."))


class CIRelationSerializer(serializers.ModelSerializer[CIRelation]):
    type_label = serializers.SerializerMethodField()
    inverse_label = serializers.SerializerMethodField()
    source_name = serializers.CharField(source="source.name", read_only=True)
    target_name = serializers.CharField(source="target.name", read_only=True)

    class Meta:
        model = CIRelation
        fields = ["id", "source", "source_name", "type", "type_label", "inverse_label", "target", "target_name",
                  "dependant", "dependency", "active", "note", "created_at", "created_by", "retired_at", "retired_by"]
        read_only_fields = fields

    def get_type_label(self, obj: CIRelation) -> str:
        return str(RelationType(obj.type).label)

    def get_inverse_label(self, obj: CIRelation) -> str:
        return str(RELATION_INVERSE[RelationType(obj.type)])


class CIRelationCreateSerializer(serializers.Serializer[Any]):
    source = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    type = serializers.ChoiceField(choices=RelationType.choices)
    target = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class CIChangeSerializer(serializers.ModelSerializer[CIChange]):
    actor_name = serializers.SerializerMethodField()

    class Meta:
        model = CIChange
        fields = ["id", "at", "actor", "actor_name", "source", "field", "old", "new"]
        read_only_fields = fields

    def get_actor_name(self, obj: CIChange) -> str:
        return obj.actor.display_name if obj.actor_id and obj.actor else ""


class RelatedEndSerializer(serializers.Serializer[Any]):
    relation = serializers.IntegerField()
    label = serializers.CharField(help_text=_("The relationship read from this CI: 'runs on', 'hosts', …"))
    type = serializers.CharField()
    ci = serializers.IntegerField()
    name = serializers.CharField()
    ci_class = serializers.CharField()
    status = serializers.CharField()


class CIRelationsViewSerializer(serializers.Serializer[Any]):
    outgoing = RelatedEndSerializer(many=True)
    incoming = RelatedEndSerializer(many=True)


class ImpactQuerySerializer(QueryParamsSerializer):
    direction = serializers.ChoiceField(choices=ImpactDirection.choices, default=ImpactDirection.DEPENDANTS)
    max_depth = serializers.IntegerField(min_value=1, max_value=MAX_IMPACT_DEPTH, default=DEFAULT_IMPACT_DEPTH)
    limit = serializers.IntegerField(min_value=0, max_value=1000, default=200)


class ImpactRowSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="ci_id")
    name = serializers.CharField()
    ci_class = serializers.CharField(source="ci_class_code")
    ci_class_name = serializers.CharField()
    organization = serializers.IntegerField(source="organization_id")
    status = serializers.CharField()
    is_service = serializers.BooleanField()
    depth = serializers.IntegerField()


class ImpactSerializer(serializers.Serializer[Any]):
    ci = serializers.IntegerField()
    direction = serializers.CharField()
    max_depth = serializers.IntegerField()
    count = serializers.IntegerField(help_text=_("All CIs reached; `results` holds at most `limit` of them."))
    services = serializers.IntegerField(help_text=_("How many of them are business services."))
    truncated = serializers.BooleanField()
    results = ImpactRowSerializer(many=True)


class ExportQuerySerializer(QueryParamsSerializer):
    file = serializers.ChoiceField(choices=[("csv", "CSV"), ("xlsx", "Excel")], default="csv")


class ImportInputSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(help_text=_("CSV (UTF-8 or GB18030) or Excel .xlsx; format in the README."))
    dry_run = serializers.BooleanField(default=True, help_text=_("Validate and report only (default true)."))


class RowErrorSerializer(serializers.Serializer[Any]):
    row = serializers.IntegerField()
    column = serializers.CharField()
    message = serializers.CharField()


class ImportReportSerializer(serializers.Serializer[Any]):
    dry_run = serializers.BooleanField()
    written = serializers.BooleanField()
    rows = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    error_count = serializers.IntegerField()
    errors = RowErrorSerializer(many=True)


class CIClassSerializer(serializers.ModelSerializer[CIClass]):
    attributes = serializers.JSONField(read_only=True)

    class Meta:
        model = CIClass
        fields = ["id", "code", "name", "description", "is_service", "attributes"]
        read_only_fields = fields


class MaintenanceContractSerializer(serializers.ModelSerializer[MaintenanceContract]):
    class Meta:
        model = MaintenanceContract
        fields = ["id", "organization", "number", "vendor", "starts_on", "ends_on", "description"]
        read_only_fields = fields
