"""CMDB API shapes."""

from __future__ import annotations

from rest_framework import serializers

from ..models import CI


class CISerializer(serializers.ModelSerializer[CI]):
    ci_class = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = CI
        fields = ["id", "name", "ci_class", "organization", "status", "location", "serial", "vendor", "model",
                  "created_at", "updated_at"]
        read_only_fields = fields
