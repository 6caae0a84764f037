"""Incident API shapes (shared/API.md): one output shape, and separate input shapes for create,
partial update and transitions. Serializers validate and shape; the views call the services."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Contact
from accounts.selectors import contact_list
from cmdb.models import CI
from cmdb.selectors import ci_list
from tickets.api.serializers import AllowedActionsMixin, TicketCreateMixin, TransitionInputSerializer, action_field

from ..choices import CauseCategory, FaultLevel, Impact, Urgency
from ..models import Incident
from ..workflow import INCIDENT_WORKFLOW

# SLA target name -> (deadline column, the time that meets it)
SLA_TARGETS: dict[str, tuple[str, str]] = {
    "respond": ("respond_due", "responded_at"),
    "onsite": ("onsite_due", "onsite_at"),
    "restore": ("restore_due", "restored_at"),
    "resolve": ("resolve_due", "resolved_at"),
}


def sla_breached(incident: Incident, *, now: datetime) -> list[str]:
    """Targets whose due time passed before they were met, or are unmet and overdue. While the
    clock is paused (pending the customer) an unmet target is judged at the moment it paused."""
    clock = incident.sla_paused_at or now
    out = []
    for name, (due_field, met_field) in SLA_TARGETS.items():
        due, met = getattr(incident, due_field), getattr(incident, met_field)
        if due is not None and (met or clock) > due:
            out.append(name)
    return out


class SlaSerializer(serializers.Serializer[Incident]):
    respond_due = serializers.DateTimeField(read_only=True, allow_null=True)
    onsite_due = serializers.DateTimeField(read_only=True, allow_null=True)
    restore_due = serializers.DateTimeField(read_only=True, allow_null=True)
    resolve_due = serializers.DateTimeField(read_only=True, allow_null=True)
    paused = serializers.SerializerMethodField(help_text=_("The clocks are stopped while pending the customer."))
    breached = serializers.SerializerMethodField(
        help_text=_("Targets missed: respond, onsite, restore, resolve."))

    def get_paused(self, obj: Incident) -> bool:
        return obj.sla_paused_at is not None

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=list(SLA_TARGETS))))
    def get_breached(self, obj: Incident) -> list[str]:
        return sla_breached(obj, now=self.context.get("now") or timezone.now())


class IncidentSerializer(serializers.ModelSerializer[Incident]):
    sla = SlaSerializer(source="*", read_only=True)

    class Meta:
        model = Incident
        fields = [
            "id", "number", "title", "description", "fault_level", "status", "channel", "organization", "contact",
            "ci", "assignee", "group", "reported_at", "responded_at", "onsite_at", "restored_at", "resolved_at",
            "closed_at", "sla", "escalation_level", "version", "impact", "urgency", "level_reason", "workaround",
            "cause_category", "resolution", "created_at", "updated_at",
        ]
        read_only_fields = fields


class IncidentDetailSerializer(AllowedActionsMixin, IncidentSerializer):
    workflow = INCIDENT_WORKFLOW
    allowed_actions = serializers.SerializerMethodField()

    class Meta(IncidentSerializer.Meta):
        fields = [*IncidentSerializer.Meta.fields, "allowed_actions"]
        read_only_fields = fields


class ScopedRelationsMixin(serializers.Serializer[Any]):
    """Contact and CI choices limited to what the requesting user may see."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is None:  # schema generation
            return
        user = request.user
        self.fields["contact"].queryset = contact_list(user=user)  # type: ignore[attr-defined]
        self.fields["ci"].queryset = ci_list(user=user)  # type: ignore[attr-defined]


class IncidentCreateSerializer(ScopedRelationsMixin, TicketCreateMixin):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000)
    impact = serializers.ChoiceField(choices=Impact.choices, default=Impact.LOW)
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.LOW)
    fault_level = serializers.ChoiceField(
        choices=FaultLevel.choices, required=False, allow_null=True,
        help_text=_("Omit to take the level suggested by impact × urgency; a different level needs level_reason."),
    )
    level_reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    ci = serializers.PrimaryKeyRelatedField(queryset=CI.objects.none(), required=False, allow_null=True)


class IncidentUpdateSerializer(ScopedRelationsMixin, serializers.Serializer[Any]):
    version = serializers.IntegerField(required=False, min_value=1,
                                       help_text=_("The version you read; a stale one is refused with 409."))
    title = serializers.CharField(required=False, max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    contact = serializers.PrimaryKeyRelatedField(queryset=Contact.objects.none(), required=False, allow_null=True)
    ci = serializers.PrimaryKeyRelatedField(queryset=CI.objects.none(), required=False, allow_null=True)
    impact = serializers.ChoiceField(choices=Impact.choices, required=False)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)
    fault_level = serializers.ChoiceField(choices=FaultLevel.choices, required=False)
    level_reason = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class IncidentTransitionInputSerializer(TransitionInputSerializer):
    action = action_field(INCIDENT_WORKFLOW)
    workaround = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    cause_category = serializers.ChoiceField(choices=CauseCategory.choices, required=False, allow_blank=True)
